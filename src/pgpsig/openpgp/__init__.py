"""The OpenPGP format ("hazmat"): bytes <-> values, no judgement, no files, no clock.

Armor, packets, clear-sign frames, messages, signature and secret-key writing, the cryptographic
maths of a signature check and the PGPy adapter (the only code that imports ``pgpy``). Nothing
here decides whether a key or a signature should be believed: that is :mod:`pgpsig.engine`.
This package imports no other pgpsig package (only the shared :mod:`pgpsig.errors`).
"""
