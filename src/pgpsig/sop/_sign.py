"""SOP signing and keys: ``sign``, ``inline-sign``, ``generate-key`` and ``extract-cert``.

This private module owns SOP's semantics over pgpsig's own signer and key generator: how a KEYS
input splits into transferable secret keys, which passwords are tried, and which draft exit code
each failure gets. It has no signer or generator of its own:

* the signing key of each secret key is chosen by :func:`pgpsig.engine.signer.signer_choice`
  (valid for signing *now*, a subkey before the primary, the newest first): an expired, revoked
  or sign-incapable key is ``KEY_CANNOT_SIGN`` (79), never used;
* secret keys are read by :func:`pgpsig.openpgp.secretkey.load_signing_keys`, and signatures made
  by :mod:`pgpsig.openpgp.signing` (v6 keys make v6 signatures, v6 one-pass signatures, and
  clear-signed frames without a ``Hash:`` header);
* keys are made by :func:`pgpsig.keys.generate.generate_key`: profile ``rfc4880`` (the default)
  is its ``v4`` profile (an EdDSA-legacy Ed25519 key every OpenPGP implementation reads),
  ``rfc9580`` its ``v6`` profile (an RFC 9580 Ed25519 key). The primary key certifies and signs;
  there is no encryption subkey (pgpsig does not encrypt).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone

from cryptography.hazmat.primitives.asymmetric import ed25519

from pgpsig.certs.keyring import cert_to_bytes
from pgpsig.engine.signer import signer_choice
from pgpsig.errors import CertificateError, FormatError, InputError, LimitError, UnsupportedError
from pgpsig.keys.generate import generate_key as _generate
from pgpsig.openpgp import armor as _armor
from pgpsig.openpgp import message, packets
from pgpsig.openpgp.ids import Tag
from pgpsig.openpgp.packets import Cert, parse_certs
from pgpsig.openpgp.secretkey import PassphraseError, is_protected, load_signing_keys
from pgpsig.openpgp.signing import sign_cleartext, sign_detached
from pgpsig.openpgp.signingkey import SigningKey, best_hash
from pgpsig.openpgp.write import packet
from pgpsig.sop._base import INLINE_SIGN_AS, PROFILES, SopError, SopExit, _policy

__all__ = ["extract_cert", "generate_key", "inline_sign", "sign"]

#: SOP's profile names -> the generator's (:data:`pgpsig.keys.generate.PROFILES`).
_GENERATOR_PROFILES: Mapping[str, str] = {"rfc4880": "v4", "rfc9580": "v6"}


def _secret_key_blobs(data: bytes) -> Iterator[bytes]:
    """Each transferable secret key (binary) in one KEYS input.

    Raises:
        SopError: BAD_DATA: not secret keys (a certificate, a signature, garbage).
    """
    try:
        if _armor.is_armored(data):
            blocks = _armor.decode_all(data)
            for b in blocks:
                if b.label != "PGP PRIVATE KEY BLOCK":
                    raise SopError(SopExit.BAD_DATA, f"expected a secret key, found a {b.label}")
            binary = b"".join(b.data for b in blocks)
        else:
            binary = data
        current: list[bytes] = []
        for p in packets.iter_packets(binary):
            if p.tag == Tag.SECRET_KEY:
                if current:
                    yield b"".join(current)
                current = []
            elif p.tag == Tag.PUBLIC_KEY:
                raise SopError(SopExit.BAD_DATA, "expected a secret key, found a certificate")
            elif not current and p.tag not in (Tag.MARKER, Tag.TRUST, Tag.PADDING):
                raise SopError(SopExit.BAD_DATA, f"not a secret key (packet tag {p.tag} first)")
            if current or p.tag == Tag.SECRET_KEY:
                current.append(packet(p.tag, p.body))
        if not current:
            raise SopError(SopExit.BAD_DATA, "no secret key found")
        yield b"".join(current)
    except (FormatError, LimitError) as e:
        raise SopError(SopExit.BAD_DATA, f"not a secret key: {e}") from e


def _unlock(tsk: bytes, passwords: Sequence[bytes]) -> tuple[SigningKey, ...]:
    """Load the secret signing keys, trying no password, then each password as is and trimmed."""
    tries: list[bytes | None] = [None]
    for pw in passwords:
        tries += [pw] if pw.rstrip() == pw else [pw, pw.rstrip()]
    last: Exception | None = None
    for attempt in tries:
        try:
            return load_signing_keys(tsk, attempt)
        except PassphraseError as e:
            last = e
        except UnsupportedError as e:
            code = (
                SopExit.KEY_IS_PROTECTED
                if is_protected(tsk)
                else SopExit.UNSUPPORTED_ASYMMETRIC_ALGO
            )
            raise SopError(code, str(e)) from e
        except FormatError as e:
            raise SopError(SopExit.BAD_DATA, f"not a usable secret key: {e}") from e
        except InputError as e:
            raise SopError(SopExit.KEY_CANNOT_SIGN, str(e)) from e
    hint = "no password given" if not passwords else "no given password unlocks it"
    raise SopError(SopExit.KEY_IS_PROTECTED, f"the secret key is protected ({hint}): {last}")


def _signer(tsk: bytes, passwords: Sequence[bytes], now: datetime) -> SigningKey:
    """The key of ``tsk`` that signs: valid for signing at ``now``, a subkey first, newest first.

    The choice is judged before any secret is unlocked, so a key that may not sign is
    KEY_CANNOT_SIGN whatever the passwords.
    """
    try:
        (cert,) = parse_certs(tsk)
    except (FormatError, LimitError, ValueError) as e:
        raise SopError(SopExit.BAD_DATA, f"not a usable secret key: {e}") from e
    choice = signer_choice(cert, policy=_policy(), now=now)
    if not choice.usable:
        why = choice.problems[0] if choice.problems else "no key"
        raise SopError(SopExit.KEY_CANNOT_SIGN, f"key {cert.fingerprint} cannot sign now: {why}")
    try:
        return choice.pick(_unlock(tsk, passwords))
    except CertificateError as e:
        raise SopError(
            SopExit.KEY_CANNOT_SIGN,
            f"key {cert.fingerprint}: no secret for its signing key (a stub or a card?)",
        ) from e


def _signers(keys: Sequence[bytes], passwords: Sequence[bytes], now: datetime) -> list[SigningKey]:
    if not keys:
        raise SopError(SopExit.MISSING_ARG, "no secret key given (KEYS)")
    return [_signer(tsk, passwords, now) for data in keys for tsk in _secret_key_blobs(data)]


def _check_text(data: bytes) -> None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SopError(SopExit.EXPECTED_TEXT, f"the input is not UTF-8 text ({e.reason})") from e


def _created(now: datetime) -> datetime:
    return now.astimezone(timezone.utc).replace(microsecond=0)


def _sign_all(
    data: bytes, signers: Sequence[SigningKey], *, text: bool, now: datetime
) -> list[bytes]:
    created = _created(now)
    try:
        return [sign_detached(data, k, created=created, text=text) for k in signers]
    except ValueError as e:
        if text:
            raise SopError(SopExit.EXPECTED_TEXT, str(e)) from e
        raise SopError(SopExit.KEY_CANNOT_SIGN, str(e)) from e


def sign(
    data: bytes,
    keys: Sequence[bytes],
    *,
    now: datetime,
    passwords: Sequence[bytes] = (),
    as_text: bool = False,
    armor_out: bool = True,
) -> tuple[bytes, str]:
    """``sop sign``: detached signatures over ``data``, one per secret key given.

    Args:
        data: The data to sign.
        keys: KEYS inputs (each one or more transferable secret keys, armored or binary).
        now: The signature creation time.
        passwords: Passwords to try on protected keys (each also with trailing whitespace
            removed).
        as_text: Make text signatures (0x01); the data must be UTF-8.
        armor_out: Armor the signatures.

    Returns:
        The signatures, and the ``micalg`` value (``pgp-sha512``; empty when the hashes differ).

    Raises:
        SopError: MISSING_ARG, BAD_DATA, EXPECTED_TEXT, KEY_IS_PROTECTED, KEY_CANNOT_SIGN,
            UNSUPPORTED_ASYMMETRIC_ALGO.
    """
    if as_text:
        _check_text(data)
    signers = _signers(keys, passwords, now)
    sigs = _sign_all(data, signers, text=as_text, now=now)
    names = {best_hash(k).lower() for k in signers}
    micalg = f"pgp-{names.pop()}" if len(names) == 1 else ""
    out = b"".join(sigs)
    return (_armor.encode("PGP SIGNATURE", out) if armor_out else out), micalg


def inline_sign(
    data: bytes,
    keys: Sequence[bytes],
    *,
    now: datetime,
    passwords: Sequence[bytes] = (),
    mode: str = "binary",
    armor_out: bool = True,
) -> bytes:
    """``sop inline-sign``: an inline-signed (``binary``, ``text``) or clear-signed message.

    ``binary``: one-pass signatures, a literal data packet of format ``b``, binary signatures.
    ``text``: the same with format ``u`` and text signatures (UTF-8 input only).
    ``clearsigned``: the cleartext signature framework (always armored), as
    :func:`pgpsig.openpgp.signing.sign_cleartext` makes it: the final line break is the frame's, the
    text's trailing whitespace is not signed; a ``Hash:`` header lists the v4 signatures' hashes.

    Raises:
        SopError: INCOMPATIBLE_OPTIONS (``clearsigned`` without armor), UNSUPPORTED_OPTION
            (another mode), EXPECTED_TEXT (also a line too long for a clear-signed frame), and
            as :func:`sign`.
    """
    if mode not in INLINE_SIGN_AS:
        raise SopError(SopExit.UNSUPPORTED_OPTION, f"--as={mode}: use {', '.join(INLINE_SIGN_AS)}")
    if mode == "clearsigned" and not armor_out:
        raise SopError(SopExit.INCOMPATIBLE_OPTIONS, "--as=clearsigned cannot be --no-armor")
    if mode != "binary":
        _check_text(data)
    signers = _signers(keys, passwords, now)
    if mode == "clearsigned":
        try:
            return sign_cleartext(data, signers, created=_created(now))
        except ValueError as e:
            raise SopError(SopExit.EXPECTED_TEXT, str(e)) from e
    sigs = _sign_all(data, signers, text=mode == "text", now=now)
    binary = message.inline_signed(data, sigs, fmt="u" if mode == "text" else "b")
    return _armor.encode("PGP MESSAGE", binary) if armor_out else binary


def generate_key(
    user_ids: Sequence[str],
    *,
    now: datetime,
    profile: str = "default",
    password: bytes | None = None,
    armor_out: bool = True,
    expires_after: timedelta | None = None,
    private_key: ed25519.Ed25519PrivateKey | None = None,
) -> bytes:
    """``sop generate-key``: a new Ed25519 transferable secret key that certifies and signs.

    Args:
        user_ids: User IDs (any number, even none).
        now: Creation time of the key and its self-signatures.
        profile: ``default`` or ``rfc4880`` (v4), ``rfc9580`` (v6).
        password: Protect the secret key with it (UTF-8; trailing whitespace is removed).
        armor_out: Armor the key.
        expires_after: Key lifetime (not a SOP option: for tests that need expired keys).
        private_key: Use this key instead of a fresh one (reproducible tests).

    Returns:
        The secret key.

    Raises:
        SopError: UNSUPPORTED_PROFILE, PASSWORD_NOT_HUMAN_READABLE, BAD_DATA (a user ID that is
            not one line of text).
    """
    name = next(iter(PROFILES)) if profile == "default" else profile
    if name not in PROFILES:
        raise SopError(SopExit.UNSUPPORTED_PROFILE, f"unknown profile {profile!r}")
    if password is not None:
        try:
            password = password.decode("utf-8").rstrip().encode("utf-8")
        except UnicodeDecodeError as e:
            raise SopError(
                SopExit.PASSWORD_NOT_HUMAN_READABLE, "the password is not UTF-8 text"
            ) from e
    try:
        key = _generate(
            list(user_ids),
            now=now,
            profile=_GENERATOR_PROFILES[name],
            expires_after=int(expires_after.total_seconds()) if expires_after else None,
            passphrase=password,
            private_keys=[private_key] if private_key is not None else (),
        )
    except ValueError as e:
        raise SopError(SopExit.BAD_DATA, str(e)) from e
    return key.secret_key if armor_out else key.secret_packets


def extract_cert(data: bytes, *, armor_out: bool = True) -> bytes:
    """``sop extract-cert``: the certificates of secret keys (secret material dropped).

    Raises:
        SopError: BAD_DATA: not secret keys.
    """
    certs: list[Cert] = []
    for tsk in _secret_key_blobs(data):
        try:
            certs.extend(parse_certs(tsk))
        except (FormatError, LimitError) as e:
            raise SopError(SopExit.BAD_DATA, f"not a secret key: {e}") from e
    out = b"".join(cert_to_bytes(c) for c in certs)
    return _armor.encode("PGP PUBLIC KEY BLOCK", out) if armor_out else out
