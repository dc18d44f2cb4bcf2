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
:mod:`pgpsig.engine.validity`, policy ``default``, hard and soft revocations, expiry, key flags and
back-signatures), clear-signed input by :func:`pgpsig.verify.verify_clearsigned` (the strict
frame decoder) and detached signatures by :func:`pgpsig.verify.verify_detached`. SOP's answer is
then the draft's: success when at least one signature is good and made inside
``[not_before, not_after]``, one VERIFICATIONS line per such signature::

    2024-09-05T14:40:58Z <signing key fingerprint> <primary key fingerprint> mode:binary

A bad signature next to a good one does not fail a SOP verification (it does fail
``pgpsig verify``): SOP asks whether an acceptable signature exists, and reports only those.

Signing picks, for each secret key given, one key valid for signing *now* under the same rules
(a subkey before the primary, the newest first): an expired, revoked or sign-incapable key is
``KEY_CANNOT_SIGN`` (79), never used. Version 6 keys make v6 signatures and v6 one-pass
signature packets; clear-signed frames of v6 signatures carry no ``Hash:`` header.

Generated keys (``generate-key``): profile ``rfc4880`` (the default) makes a v4 key with an
EdDSA-legacy Ed25519 primary key (read by every OpenPGP implementation), profile ``rfc9580`` a v6
Ed25519 key. The primary key certifies and signs; there is no encryption subkey (pgpsig does not
encrypt). Each user ID gets a positive certification (0x13); a v6 key, or a key without user ID,
also a direct-key signature (0x1F) carrying its key flags.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import IntEnum

from cryptography.hazmat.primitives.asymmetric import ed25519

from pgpsig.certs.keyring import Keyring, cert_to_bytes, read_certs
from pgpsig.engine.validity import Judge
from pgpsig.errors import (
    FormatError,
    InputError,
    LimitError,
    PgpsigError,
    UnsupportedError,
)
from pgpsig.openpgp import armor as _armor
from pgpsig.openpgp import clearsign, message, packets
from pgpsig.openpgp.packets import Cert, Signature, packet_header, parse_certs
from pgpsig.openpgp.signing import (
    PassphraseError,
    SigningKey,
    best_hash,
    load_signing_keys,
    make_signing_key,
    sign_detached,
    signature_packet,
    subpacket,
)
from pgpsig.policy import Policy, policy_named
from pgpsig.report import SignatureResult, SigStatus, iso
from pgpsig.verify import (
    judge_for,
    judge_signature,
    read_signature_file,
    verify_clearsigned,
    verify_detached,
)

__all__ = [
    "PROFILES",
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

#: The draft this implements; the tilde marks it as incomplete (no encryption, see the README).
SOP_SPEC = "~draft-dkg-openpgp-stateless-cli-14"

_SPEC_REMARKS = (
    "pgpsig implements the signing and verification subcommands of the draft:",
    "version, list-profiles, generate-key, extract-cert, sign, verify, inline-sign,",
    "inline-verify, inline-detach, armor, dearmor. Encryption, decryption and key management",
    "(encrypt, decrypt, change-key-password, revoke-key, certify-userid, ...) answer 69.",
)

#: Key profiles of ``generate-key``: name -> description. The first is the default.
PROFILES: Mapping[str, str] = {
    "rfc4880": "v4 key, EdDSA-legacy Ed25519 (read by every OpenPGP implementation)",
    "rfc9580": "v6 key, Ed25519 (RFC 9580)",
}


class SopExit(IntEnum):
    """Exit codes of the draft (section "Failure Modes")."""

    OK = 0
    NO_SIGNATURE = 3
    UNSUPPORTED_ASYMMETRIC_ALGO = 13
    MISSING_ARG = 19
    PASSWORD_NOT_HUMAN_READABLE = 31
    UNSUPPORTED_OPTION = 37
    BAD_DATA = 41
    EXPECTED_TEXT = 53
    OUTPUT_EXISTS = 59
    MISSING_INPUT = 61
    KEY_IS_PROTECTED = 67
    UNSUPPORTED_SUBCOMMAND = 69
    UNSUPPORTED_SPECIAL_PREFIX = 71
    AMBIGUOUS_INPUT = 73
    KEY_CANNOT_SIGN = 79
    INCOMPATIBLE_OPTIONS = 83
    UNSUPPORTED_PROFILE = 89


class SopError(PgpsigError):
    """A SOP failure: the draft's exit code and a one-line reason."""

    def __init__(self, code: SopExit, message: str) -> None:
        self.code = code
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class Verification:
    """One acceptable signature, as a VERIFICATIONS line reports it."""

    created: datetime
    signing_fingerprint: str
    primary_fingerprint: str
    mode: str  # "binary" or "text"

    def line(self) -> str:
        """The VERIFICATIONS line (without the line break)."""
        created = iso(self.created)
        return f"{created} {self.signing_fingerprint} {self.primary_fingerprint} mode:{self.mode}"


def _policy() -> Policy:
    return policy_named("default")


# --------------------------------------------------------------------------------------------------
# version, list-profiles, dates


def version(kind: str, versions: Mapping[str, str]) -> str:
    """The output of ``sop version`` (``kind``: ``""``, ``backend``, ``extended`` or ``sop-spec``).

    Args:
        kind: Which variant.
        versions: Component versions (``pgpsig``, ``cryptography``, ``PGPy``, ``Python``,
            ``OpenSSL``), collected by the caller.

    Returns:
        The text, ending with a line break.

    Raises:
        ValueError: An unknown ``kind``.
    """
    me = f"pgpsig {versions.get('pgpsig', '?')}"
    if kind == "":
        return me + "\n"
    if kind == "backend":
        return f"pgpsig {versions.get('pgpsig', '?')} (cryptography {versions.get('cryptography', '?')})\n"
    if kind == "extended":
        lines = [me] + [f"{name} {ver}" for name, ver in versions.items() if name != "pgpsig"]
        return "\n".join(lines) + "\n"
    if kind == "sop-spec":
        return "\n".join([SOP_SPEC, *_SPEC_REMARKS]) + "\n"
    raise ValueError(f"unknown version kind {kind!r}")


def list_profiles(subcommand: str) -> str:
    """The output of ``sop list-profiles SUBCOMMAND``: ``name: description`` lines.

    Raises:
        SopError: UNSUPPORTED_PROFILE for a subcommand without profiles.
    """
    if subcommand != "generate-key":
        raise SopError(SopExit.UNSUPPORTED_PROFILE, f"{subcommand} has no profiles")
    return "".join(f"{name}: {text}\n" for name, text in PROFILES.items())


_BASIC_ISO = re.compile(
    r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})?)?(Z|[+-]\d{2}:?\d{2})?", re.IGNORECASE
)


def parse_date(text: str, *, now: datetime) -> datetime | None:
    """A ``--not-before``/``--not-after`` value: ``-`` (no bound, None), ``now``, or ISO 8601.

    ISO 8601 in extended (``2019-10-29T12:11:04Z``, ``2019-10-29T12:11:04+02:00``,
    ``2019-10-29``) or basic form (``20191029T121104Z``); without a zone it is UTC.

    Raises:
        SopError: UNSUPPORTED_OPTION for anything else.
    """
    t = text.strip()
    if t == "-":
        return None
    if t.lower() == "now":
        return now
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(re.sub(r"[zZ]$", "+00:00", t))
    except ValueError:
        m = _BASIC_ISO.fullmatch(t)
        if m is not None:
            y, mo, d, hh, mm, ss, zone = m.groups()
            zone = "+00:00" if zone is None or zone.upper() == "Z" else zone
            stamp = f"{y}-{mo}-{d}T{hh or '00'}:{mm or '00'}:{ss or '00'}{zone}"
            try:
                parsed = datetime.fromisoformat(stamp)
            except ValueError:
                parsed = None
    if parsed is None:
        raise SopError(SopExit.UNSUPPORTED_OPTION, f"not a date: {text!r} (use ISO 8601, - or now)")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


# --------------------------------------------------------------------------------------------------
# Verification


def _keyring(certs: Sequence[bytes]) -> Keyring:
    if not certs:
        raise SopError(SopExit.MISSING_ARG, "no certificate given (CERTS)")
    ring = Keyring()
    for i, data in enumerate(certs, start=1):
        try:
            ring.add_all(read_certs(data, source=f"certificate {i}"))
        except (FormatError, LimitError) as e:
            raise SopError(SopExit.BAD_DATA, f"not a certificate: {e}") from e
    return ring


def _accepted(
    results: Sequence[tuple[Signature, SignatureResult]],
    not_before: datetime | None,
    not_after: datetime | None,
) -> tuple[Verification, ...]:
    """VERIFICATIONS for good signatures made inside the bounds, or NO_SIGNATURE."""
    out: list[Verification] = []
    reasons: list[str] = []
    for sig, r in results:
        if r.status is not SigStatus.GOOD:
            reasons.append(f"{r.status.value}: {r.reason}" if r.reason else r.status.value)
            continue
        assert r.created is not None
        assert r.signer is not None
        assert r.primary is not None
        if not_before is not None and r.created < not_before:
            reasons.append(f"made {iso(r.created)}, before --not-before")
            continue
        if not_after is not None and r.created > not_after:
            reasons.append(f"made {iso(r.created)}, after --not-after")
            continue
        mode = "text" if sig.sig_type == 0x01 else "binary"
        out.append(Verification(r.created, r.signer, r.primary, mode))
    if not out:
        why = f" ({reasons[0]})" if reasons else ""
        raise SopError(SopExit.NO_SIGNATURE, f"no acceptable signature found{why}")
    return tuple(out)


def verify(
    data: bytes,
    signatures: bytes,
    certs: Sequence[bytes],
    *,
    now: datetime,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> tuple[Verification, ...]:
    """``sop verify``: detached signatures over ``data``.

    Args:
        data: The signed data.
        signatures: The signature file (armored or binary, one or more signatures).
        certs: Certificate inputs (each armored or binary, one or more certificates).
        now: The reference time (signatures from the future and expired ones are refused).
        not_before: Refuse signatures made before this time (None: no bound).
        not_after: Refuse signatures made after this time (None: no bound; the CLI's
            default is ``now``).

    Returns:
        One verification per acceptable signature.

    Raises:
        SopError: MISSING_ARG (no certificate), BAD_DATA (not a signature or a certificate),
            NO_SIGNATURE (no acceptable signature).
    """
    ring = _keyring(certs)
    try:
        sigs = read_signature_file(signatures)
        report = verify_detached(data, signatures, ring, policy=_policy(), now=now)
    except (FormatError, LimitError) as e:
        raise SopError(SopExit.BAD_DATA, f"not a signature: {e}") from e
    return _accepted(list(zip(sigs, report.signatures, strict=True)), not_before, not_after)


def _is_clearsigned(data: bytes) -> bool:
    return data.lstrip(b" \t\r\n").startswith(b"-----BEGIN PGP SIGNED MESSAGE-----")


def _message_packets(data: bytes) -> bytes:
    """Binary packets of an armored (``PGP MESSAGE``) or binary message."""
    if not _armor.is_armored(data):
        return data
    blocks = _armor.decode_all(data)
    if len(blocks) != 1 or blocks[0].label != "PGP MESSAGE":
        labels = ", ".join(b.label for b in blocks)
        raise SopError(SopExit.BAD_DATA, f"expected one PGP MESSAGE armor block, found {labels}")
    return blocks[0].data


def _lf_text(canonical: bytes) -> bytes:
    """Canonical (CRLF) text as LF text."""
    return canonical.replace(b"\r\n", b"\n")


def inline_verify(
    data: bytes,
    certs: Sequence[bytes],
    *,
    now: datetime,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> tuple[bytes, tuple[Verification, ...]]:
    """``sop inline-verify``: an inline-signed or clear-signed message.

    Clear-signed input is decoded by the strict frame decoder, and every block must carry an
    acceptable signature (each block's text is returned; text outside the blocks never is); the
    text returned is what ``pgpsig verify --output`` writes: each block's signed text with LF line
    breaks and a final LF. A binary or armored inline-signed message (one-pass signatures,
    literal data, signatures; possibly compressed) returns the literal data as it is.

    Args:
        data: The message.
        certs: Certificate inputs.
        now: The reference time.
        not_before: As for :func:`verify`.
        not_after: As for :func:`verify`.

    Returns:
        The signed data and one verification per acceptable signature.

    Raises:
        SopError: MISSING_ARG, BAD_DATA (not a signed message, malformed frame or packets),
            NO_SIGNATURE.
    """
    ring = _keyring(certs)
    policy = _policy()
    try:
        if _is_clearsigned(data):
            texts: dict[int, list[bytes]] = {}

            def collect(block: int, chunk: bytes) -> None:
                texts.setdefault(block, []).append(chunk)

            report = verify_clearsigned(data, ring, policy=policy, now=now, output=collect)
            pairs = list(zip(_clearsigned_signatures(data), report.signatures, strict=True))
            found = _accepted(pairs, not_before, not_after)
            # Every block's text is written, so every block needs an acceptable signature.
            for i in range(report.blocks):
                try:
                    _accepted([p for p in pairs if p[1].block == i], not_before, not_after)
                except SopError as e:
                    raise SopError(e.code, f"clear-signed block {i + 1}: {e}") from e
            text = b"".join(
                _lf_text(b"".join(texts.get(i, []))) + b"\n" for i in range(report.blocks)
            )
            return text, found
        msg = message.parse_inline(_message_packets(data))
    except (FormatError, LimitError) as e:
        raise SopError(SopExit.BAD_DATA, f"not a signed message: {e}") from e
    content = msg.literal.data
    judge = judge_for(ring, policy, now)
    results = [
        (s, judge_signature(s, lambda sig: message.signed_digest(sig, content), judge))
        for s in msg.signatures
    ]
    return content, _accepted(results, not_before, not_after)


def _clearsigned_signatures(data: bytes) -> list[Signature]:
    """The signatures of every block of a (well-formed) clear-signed input, in order."""
    out: list[Signature] = []
    for block in clearsign.decode_all(data):
        out.extend(packets.parse_signatures(block.info.signature))
    return out


def inline_detach(data: bytes, *, armor_out: bool = True) -> tuple[bytes, bytes]:
    """``sop inline-detach``: split an inline-signed message into data and signatures.

    For a clear-signed message the data is the signed text with LF line breaks and without a
    final line break (exactly what its text signatures cover once canonicalised, so
    ``sop verify`` accepts the pair).

    Returns:
        The data, and the signatures (armored unless ``armor_out`` is false).

    Raises:
        SopError: BAD_DATA: not an inline-signed or clear-signed message.
    """
    try:
        if _is_clearsigned(data):
            block = clearsign.decode(data)
            content = _lf_text(block.canonical)
            packets.parse_signatures(block.info.signature)
            sig_bytes = block.info.signature
        else:
            msg = message.parse_inline(_message_packets(data))
            content = msg.literal.data
            sig_bytes = b"".join(msg.signature_packets)
    except (FormatError, LimitError) as e:
        raise SopError(SopExit.BAD_DATA, f"not an inline-signed message: {e}") from e
    return content, _armor.encode("PGP SIGNATURE", sig_bytes) if armor_out else sig_bytes


# --------------------------------------------------------------------------------------------------
# Secret keys and signing


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
            if p.tag == 5:
                if current:
                    yield b"".join(current)
                current = []
            elif p.tag == 6:
                raise SopError(SopExit.BAD_DATA, "expected a secret key, found a certificate")
            elif not current and p.tag not in (10, 12, 21):
                raise SopError(SopExit.BAD_DATA, f"not a secret key (packet tag {p.tag} first)")
            if current or p.tag == 5:
                current.append(packet_header(p.tag, len(p.body)) + p.body)
        if not current:
            raise SopError(SopExit.BAD_DATA, "no secret key found")
        yield b"".join(current)
    except (FormatError, LimitError) as e:
        raise SopError(SopExit.BAD_DATA, f"not a secret key: {e}") from e


def _protected(tsk: bytes) -> bool:
    """Whether any secret key packet of ``tsk`` has protected (S2K usage non-zero) material."""
    for p in packets.iter_packets(tsk):
        if p.tag in (5, 7):
            try:
                _, used = packets.parse_public_key(p.body)
            except FormatError:
                continue
            if used < len(p.body) and p.body[used] != 0:
                return True
    return False


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
                SopExit.KEY_IS_PROTECTED if _protected(tsk) else SopExit.UNSUPPORTED_ASYMMETRIC_ALGO
            )
            raise SopError(code, str(e)) from e
        except FormatError as e:
            raise SopError(SopExit.BAD_DATA, f"not a usable secret key: {e}") from e
        except InputError as e:
            raise SopError(SopExit.KEY_CANNOT_SIGN, str(e)) from e
    hint = "no password given" if not passwords else "no given password unlocks it"
    raise SopError(SopExit.KEY_IS_PROTECTED, f"the secret key is protected ({hint}): {last}")


def _signer(tsk: bytes, passwords: Sequence[bytes], now: datetime) -> SigningKey:
    """The key of ``tsk`` that signs: valid for signing at ``now``, a subkey first, newest first."""
    try:
        (cert,) = parse_certs(tsk)
    except (FormatError, LimitError, ValueError) as e:
        raise SopError(SopExit.BAD_DATA, f"not a usable secret key: {e}") from e
    usable, problems = Judge.alone(cert, _policy(), now).signing_keys(now)
    if not usable:
        why = problems[0] if problems else "no key"
        raise SopError(SopExit.KEY_CANNOT_SIGN, f"key {cert.fingerprint} cannot sign now: {why}")
    loaded = {k.fingerprint: k for k in _unlock(tsk, passwords)}
    for key in usable:
        if key.fingerprint in loaded:
            return loaded[key.fingerprint]
    raise SopError(
        SopExit.KEY_CANNOT_SIGN,
        f"key {cert.fingerprint}: no secret for its signing key (a stub or a card?)",
    )


def _signers(keys: Sequence[bytes], passwords: Sequence[bytes], now: datetime) -> list[SigningKey]:
    if not keys:
        raise SopError(SopExit.MISSING_ARG, "no secret key given (KEYS)")
    return [_signer(tsk, passwords, now) for data in keys for tsk in _secret_key_blobs(data)]


def _check_text(data: bytes) -> None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SopError(SopExit.EXPECTED_TEXT, f"the input is not UTF-8 text ({e.reason})") from e


def _sign_all(
    data: bytes, signers: Sequence[SigningKey], *, text: bool, now: datetime
) -> list[bytes]:
    created = now.astimezone(timezone.utc).replace(microsecond=0)
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
            (another mode), and as :func:`sign`.
    """
    if mode not in ("binary", "text", "clearsigned"):
        raise SopError(SopExit.UNSUPPORTED_OPTION, f"--as={mode}: use binary, text or clearsigned")
    if mode == "clearsigned" and not armor_out:
        raise SopError(SopExit.INCOMPATIBLE_OPTIONS, "--as=clearsigned cannot be --no-armor")
    if mode != "binary":
        _check_text(data)
    signers = _signers(keys, passwords, now)
    if mode == "clearsigned":
        return _clearsign(data, signers, now)
    sigs = _sign_all(data, signers, text=mode == "text", now=now)
    binary = message.inline_signed(data, sigs, fmt="u" if mode == "text" else "b")
    return _armor.encode("PGP MESSAGE", binary) if armor_out else binary


def _clearsign(data: bytes, signers: Sequence[SigningKey], now: datetime) -> bytes:
    created = now.astimezone(timezone.utc).replace(microsecond=0)
    text = data
    if text.endswith(b"\r\n"):
        text = text[:-2]
    elif text.endswith(b"\n"):
        text = text[:-1]
    canonical = clearsign.canonicalize(text)
    sigs = [
        signature_packet(k, canonical, sig_type=0x01, created=created, hash_name=best_hash(k))
        for k in signers
    ]
    hashes = [best_hash(k) for k in signers if k.version == 4]
    return clearsign.encode(text, b"".join(sigs), hashes)


# --------------------------------------------------------------------------------------------------
# Keys


_FLAGS_CERTIFY_SIGN = 0x03
_SP_KEY_EXPIRATION = 9
_SP_PREFERRED_SYMMETRIC = 11
_SP_PREFERRED_HASH = 21
_SP_PRIMARY_USER_ID = 25
_SP_KEY_FLAGS = 27
_SP_FEATURES = 30


def _packet(tag: int, body: bytes) -> bytes:
    return packet_header(tag, len(body)) + body


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
    """``sop generate-key``: a new transferable secret key (see the module docstring).

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
        SopError: UNSUPPORTED_PROFILE, PASSWORD_NOT_HUMAN_READABLE.
    """
    from pgpsig.openpgp import secretkey  # noqa: PLC0415 - imports signing; kept out of the verify path

    name = next(iter(PROFILES)) if profile == "default" else profile
    if name not in PROFILES:
        raise SopError(SopExit.UNSUPPORTED_PROFILE, f"unknown profile {profile!r}")
    ver = 6 if name == "rfc9580" else 4
    if password is not None:
        try:
            password = password.decode("utf-8").rstrip().encode("utf-8")
        except UnicodeDecodeError as e:
            raise SopError(
                SopExit.PASSWORD_NOT_HUMAN_READABLE, "the password is not UTF-8 text"
            ) from e
    created = now.astimezone(timezone.utc).replace(microsecond=0)
    key = make_signing_key(
        private_key or ed25519.Ed25519PrivateKey.generate(), created=created, version=ver
    )
    pub = packets.parse_public_key(key.public_packet_body)[0]
    common = [subpacket(_SP_KEY_FLAGS, bytes([_FLAGS_CERTIFY_SIGN]))]
    if expires_after is not None:
        common.append(
            subpacket(_SP_KEY_EXPIRATION, struct.pack(">I", int(expires_after.total_seconds())))
        )
    prefs = [
        subpacket(_SP_PREFERRED_HASH, bytes([10, 9, 8])),
        subpacket(_SP_PREFERRED_SYMMETRIC, bytes([9, 7])),
        subpacket(_SP_FEATURES, b"\x09" if ver == 6 else b"\x01"),
    ]

    def selfsig(sig_type: int, hashed: bytes, extra: list[bytes]) -> bytes:
        return signature_packet(
            key,
            hashed,
            sig_type=sig_type,
            created=created,
            hash_name="SHA512",
            extra_hashed_subpackets=extra,
        )

    sigs_after_key = b""
    if ver == 6 or not user_ids:
        sigs_after_key = selfsig(0x1F, pub.hash_prefix(), common + prefs)
    uid_part = b""
    for i, uid in enumerate(user_ids):
        raw = uid.encode("utf-8")
        prefix = pub.hash_prefix() + b"\xb4" + struct.pack(">I", len(raw)) + raw
        extra = common + prefs + ([subpacket(_SP_PRIMARY_USER_ID, b"\x01")] if i == 0 else [])
        uid_part += _packet(13, raw) + selfsig(0x13, prefix, extra)
    public = _packet(6, key.public_packet_body) + sigs_after_key + uid_part
    # pgpsig never makes a key it would refuse: judge the new certificate now.
    (cert,) = parse_certs(public)
    Judge.alone(cert, _policy(), created).check_signing_key(cert.primary, created)
    secret = _packet(5, secretkey.secret_key_packet_body(key, password)) + sigs_after_key + uid_part
    headers = [("Comment", key.fingerprint)]
    return _armor.encode("PGP PRIVATE KEY BLOCK", secret, headers) if armor_out else secret


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


# --------------------------------------------------------------------------------------------------
# armor, dearmor

_LABELS = {
    "sig": "PGP SIGNATURE",
    "key": "PGP PRIVATE KEY BLOCK",
    "cert": "PGP PUBLIC KEY BLOCK",
    "message": "PGP MESSAGE",
}
_MESSAGE_TAGS = frozenset({1, 3, 4, 8, 9, 11, 18, 20})


def _detect_label(binary: bytes) -> str:
    """The armor label binary packets call for (RFC 9580 section 6.2)."""
    tags = [
        p.tag
        for p in packets.iter_packets(binary, max_packet=max(len(binary), 1))
        if p.tag not in (10, 21)
    ]
    if not tags:
        raise SopError(SopExit.BAD_DATA, "no OpenPGP packet in the input")
    first = tags[0]
    if first == 5:
        return "PGP PRIVATE KEY BLOCK"
    if first == 6:
        return "PGP PUBLIC KEY BLOCK"
    if first == 2:
        return "PGP SIGNATURE" if all(t == 2 for t in tags) else "PGP MESSAGE"
    if first in _MESSAGE_TAGS:
        return "PGP MESSAGE"
    raise SopError(SopExit.BAD_DATA, f"cannot tell what packet tag {first} data is")


def armor(data: bytes, *, label: str = "auto") -> bytes:
    """``sop armor``: ASCII-armor binary OpenPGP data (armored input is returned unchanged).

    Args:
        data: Binary packets (or already armored data, or a clear-signed message).
        label: ``auto`` (from the first packet), ``sig``, ``key``, ``cert`` or ``message``.

    Raises:
        SopError: BAD_DATA (not OpenPGP data), UNSUPPORTED_OPTION (an unknown label).
    """
    if label != "auto" and label not in _LABELS:
        raise SopError(
            SopExit.UNSUPPORTED_OPTION, f"--label={label}: use auto, sig, key, cert or message"
        )
    try:
        if _is_clearsigned(data):
            clearsign.decode_all(data)
            return data
        if _armor.is_armored(data):
            _armor.decode_all(data)
            return data
        name = _detect_label(data) if label == "auto" else _LABELS[label]
    except (FormatError, LimitError) as e:
        raise SopError(SopExit.BAD_DATA, f"not OpenPGP data: {e}") from e
    return _armor.encode(name, data)


def dearmor(data: bytes) -> bytes:
    """``sop dearmor``: the binary packets of armored data (binary input is returned unchanged).

    A clear-signed message gives the binary signatures of its blocks (its text is not OpenPGP
    packets).

    Raises:
        SopError: BAD_DATA: neither armored nor binary OpenPGP data.
    """
    try:
        if _is_clearsigned(data):
            return b"".join(b.info.signature for b in clearsign.decode_all(data))
        if _armor.is_armored(data):
            return b"".join(b.data for b in _armor.decode_all(data))
        _detect_label(data)
    except (FormatError, LimitError) as e:
        raise SopError(SopExit.BAD_DATA, f"not OpenPGP data: {e}") from e
    return data
