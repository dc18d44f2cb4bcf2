"""The Stateless OpenPGP (SOP) use cases: ``pgpsig sop`` and ``pgpsig-sop``.

This module owns what each SOP subcommand (draft-dkg-openpgp-stateless-cli) *does*, as pure
functions from bytes and options to bytes (or verifications), failing with :class:`SopError`
and the draft's exit code. It does not parse the command line, read files, the clock or the
environment, or print: :mod:`pgpsig.cli` does that (``now`` and every input arrive as
arguments). Implemented: ``version``, ``list-profiles``, ``generate-key``, ``extract-cert``,
``sign``, ``verify``, ``inline-sign``, ``inline-verify``, ``inline-detach``, ``armor``,
``dearmor``. Encryption and decryption (and key management beyond generation) are not: pgpsig
only signs and verifies, and those subcommands answer ``UNSUPPORTED_SUBCOMMAND`` (69).

Verification goes through pgpsig's engine, never a shortcut: every signature is judged by
:func:`pgpsig.verify.judge` (certificate validity at the signature's time with
:mod:`pgpsig.engine`, policy ``default``, hard and soft revocations, expiry, key flags and
back-signatures), clear-signed input by :func:`pgpsig.verify.verify_clearsigned` (the strict
frame decoder) and detached signatures by :func:`pgpsig.verify.verify_detached`. SOP's answer is
then the draft's: success when at least one signature is good and made inside
``[not_before, not_after]``, one VERIFICATIONS line per such signature::

    2024-09-05T14:40:58Z <signing key fingerprint> <primary key fingerprint> mode:binary

A bad signature next to a good one does not fail a SOP verification (it does fail
``pgpsig verify``): SOP asks whether an acceptable signature exists, and reports only those.

Signing picks, for each secret key given, one key valid for signing *now* under the same rules
(:mod:`pgpsig.engine.signer`: a subkey before the primary, the newest first): an expired, revoked
or sign-incapable key is ``KEY_CANNOT_SIGN`` (79), never used. Version 6 keys make v6 signatures
and v6 one-pass signature packets; clear-signed frames of v6 signatures carry no ``Hash:`` header.

Generated keys (``generate-key``) come from pgpsig's one key generator,
:func:`pgpsig.keys.generate.generate_key`: profile ``rfc4880`` (the default) is its ``v4``
profile, an EdDSA-legacy Ed25519 primary key (read by every OpenPGP implementation), profile
``rfc9580`` its ``v6`` profile, an RFC 9580 Ed25519 key. The primary key certifies and signs;
there is no encryption subkey (pgpsig does not encrypt).

The package is an adapter with no signer, generator or verifier of its own. Its parts: the draft's
vocabulary, versions and dates (:mod:`~pgpsig.sop._base`), verification
(:mod:`~pgpsig.sop._verify`), signing and keys (:mod:`~pgpsig.sop._sign`), armor
(:mod:`~pgpsig.sop._armor`).
"""

from __future__ import annotations

from pgpsig.sop._armor import ARMOR_LABELS, armor, dearmor
from pgpsig.sop._base import (
    INLINE_SIGN_AS,
    PROFILES,
    SIGN_AS,
    SOP_SPEC,
    SopError,
    SopExit,
    Verification,
    list_profiles,
    parse_date,
    version,
)
from pgpsig.sop._base import _policy as _policy
from pgpsig.sop._sign import extract_cert, generate_key, inline_sign, sign
from pgpsig.sop._verify import inline_detach, inline_verify, verify

__all__ = [
    "ARMOR_LABELS",
    "INLINE_SIGN_AS",
    "PROFILES",
    "SIGN_AS",
    "SOP_SPEC",
    "SopError",
    "SopExit",
    "Verification",
    "armor",
    "dearmor",
    "extract_cert",
    "generate_key",
    "inline_detach",
    "inline_sign",
    "inline_verify",
    "list_profiles",
    "parse_date",
    "sign",
    "verify",
    "version",
]
