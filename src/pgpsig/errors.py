"""The one error hierarchy of pgpsig.

Every failure pgpsig reports is a :class:`PgpsigError`. They are grouped by who is at fault:

* :class:`FormatError` (also a :class:`ValueError`): the input is malformed. Subclasses name the layer
  (armor, clear-signed frame, packet, manifest) and carry a line number where one makes sense.
  :class:`LimitError` is a format error for input that exceeds a resource limit.
* :class:`VerificationError`: the input is well formed but does not verify (bad signature, invalid
  certificate, policy refusal, untrusted signer).
* :class:`InputError`: the environment: a file cannot be read or written, a key is missing.

The CLI maps the root class to exit code 2 (or 1 for verification failures) in one place; nothing else
escapes pgpsig's public functions.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

__all__ = [
    "ArmorError",
    "CertificateError",
    "ClearsignFormatError",
    "FormatError",
    "InputError",
    "KeyringError",
    "LimitError",
    "ManifestFormatError",
    "PacketError",
    "PgpsigError",
    "PolicyError",
    "SignatureError",
    "UnsupportedError",
    "VerificationError",
    "not_a_directory",
]


class PgpsigError(Exception):
    """Root of every error pgpsig raises on purpose."""


class FormatError(PgpsigError, ValueError):
    """Malformed input. ``line`` is the 1-based line number where the defect was seen, if known."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}" if line is not None else message)


class ArmorError(FormatError):
    """ASCII armor that is malformed: bad base64, wrong CRC24, missing or mismatched END line."""


class ClearsignFormatError(FormatError):
    """A cleartext signature frame (RFC 9580 section 7) that does not follow the rules."""


class PacketError(FormatError):
    """An OpenPGP packet or subpacket that cannot be parsed."""


class ManifestFormatError(FormatError):
    """A ``module.sig`` body that is not a well-formed FreePBX manifest."""


class LimitError(FormatError):
    """Input larger than a documented resource limit (size, count, depth)."""


class UnsupportedError(PgpsigError):
    """Well-formed input that uses something pgpsig does not implement (an algorithm, a version)."""


class VerificationError(PgpsigError):
    """Well-formed input that does not verify."""


class SignatureError(VerificationError):
    """A signature that is cryptographically bad or does not fit its context."""


class CertificateError(VerificationError):
    """A certificate (or the key used) that is not valid at the reference time."""


class PolicyError(VerificationError):
    """Something the active policy rejects (weak hash, short key, old SHA-1 certification)."""


class InputError(PgpsigError):
    """The environment: a path that cannot be read or written."""


def not_a_directory(path: str | PathLike[str]) -> InputError:
    """The error for ``path`` where a directory was wanted, saying what is there instead."""
    p = Path(path)
    if p.is_symlink() and not p.exists():
        return InputError(f"{p}: a symbolic link to nothing, not a directory")
    if p.is_file():
        return InputError(f"{p} is a file, not a directory")
    if p.exists():
        return InputError(f"{p} is not a directory")
    return InputError(f"{p}: no such directory")


class KeyringError(InputError):
    """A keyring path or store that cannot be used."""
