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
Sample.class.php = D8F94D9F55E5AF1B946BF5D5BFDA3C4CF2E68D5B285ABB8E8D368FDA58B1D0A0
assets/js/sample.js = A4D6E7D323A8272A6C6ED2A326501E54978C020A88D504912A670A9A03D2F54C
functions.inc.php = 546A315269A4A52C04A955AF144E68BF43521DE72578382AD5CBCB35F5BCE0B1
module.xml = 1778F76B6A198901DD1AA2C3487B72847F4B8C0DD6994F892EF22EE6EE87CC57
views/main.php = DD14C3BBA6B1F0374EF743B6007E9E083831A6DAD1C67FAD50DED7A05C68EBEA
;# End
-----BEGIN PGP SIGNATURE-----

iHUEARYIAB0FAmZaZIAWIQS+R5eK+wOU2jPAtE9oYWo8Nop30QAKCRBoYWo8Nop3
0WUEAQDHc1q6eRAsx6m307ide6jzNx7OSpuhc0lP0sqVuHFbaAEA52lvodRHbJQi
sZQm5tTBspTABMZBSx/xbeG3G3kBaw8=
=KPpB
-----END PGP SIGNATURE-----
