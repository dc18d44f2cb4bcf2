-----BEGIN PGP SIGNED MESSAGE-----
Hash: SHA256

;################################################
;#        FreePBX Module Signature File         #
;################################################
;# Do not alter the contents of this file!  If  #
;# this file is tampered with, the module will  #
;# fail validation and be marked as invalid!    #
;################################################

[config]
version=2
hash=sha256
signedwith=68616A3C368A77D1
signedby=sign.php
repo=manual
type=public
[hashes]
;# End
-----BEGIN PGP SIGNATURE-----

iHUEARYIAB0FAmZaZIAWIQS+R5eK+wOU2jPAtE9oYWo8Nop30QAKCRBoYWo8Nop3
0cKmAQDz3IdilRlV9+wThnlBZUG3ekdRXU44JxBgtt83QKNllgEAuo/FlW59XHod
Kj0jS1BP9BT+QLbVEz+TDzn4VF40GQU=
=nuql
-----END PGP SIGNATURE-----
