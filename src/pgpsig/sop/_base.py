"""SOP's vocabulary: the draft's exit codes, errors, VERIFICATIONS lines, versions and dates.

This private module owns what every SOP subcommand of :mod:`pgpsig.sop` shares: :class:`SopExit`
(the draft's failure codes), :class:`SopError`, :class:`Verification`, the policy SOP judges with
(``default``), the values of ``--profile`` and ``--as``, the small subcommands ``version`` and
``list-profiles`` and the ``--not-before``/``--not-after`` date syntax.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from enum import IntEnum

from pgpsig._dataclass import dataclass
from pgpsig.errors import PgpsigError
from pgpsig.policy import Policy, policy_named
from pgpsig.report import iso

__all__ = [
    "INLINE_SIGN_AS",
    "PROFILES",
    "SIGN_AS",
    "SOP_SPEC",
    "SopError",
    "SopExit",
    "Verification",
    "list_profiles",
    "parse_date",
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

#: ``sign --as``: the kinds of detached signature. The first is the default.
SIGN_AS = ("binary", "text")
#: ``inline-sign --as``: the kinds of inline-signed message. The first is the default.
INLINE_SIGN_AS = ("binary", "text", "clearsigned")


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


def _is_clearsigned(data: bytes) -> bool:
    return data.lstrip(b" \t\r\n").startswith(b"-----BEGIN PGP SIGNED MESSAGE-----")
