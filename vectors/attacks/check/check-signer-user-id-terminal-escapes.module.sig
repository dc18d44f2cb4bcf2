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
signedwith=815C4ECF5D553530
signedby=sign.php
repo=manual
type=public
[hashes]
Sample.class.php = d8f94d9f55e5af1b946bf5d5bfda3c4cf2e68d5b285abb8e8d368fda58b1d0a0
assets/js/sample.js = a4d6e7d323a8272a6c6ed2a326501e54978c020a88d504912a670a9a03d2f54c
functions.inc.php = 546a315269a4a52c04a955af144e68bf43521de72578382ad5cbcb35f5bce0b1
module.xml = 1778f76b6a198901dd1aa2c3487b72847f4b8c0dd6994f892ef22ee6ee87cc57
views/main.php = dd14c3bba6b1f0374ef743b6007e9e083831a6dad1c67fad50ded7a05c68ebea
;# End
-----BEGIN PGP SIGNATURE-----

iHUEARYIAB0FAmZaZIAWIQSb5OcDZ6xgyi5ztz+BXE7PXVU1MAAKCRCBXE7PXVU1
MMnLAQCNsLIu9FxNzNtfnutOm565/59NQk/Z4fDPh+TgITGhSwEAuSy2FvlC+WiB
5au7IEPyMNaZWxMsGOi4P4NmUBvLSwY=
=/nDz
-----END PGP SIGNATURE-----
