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

Messages (and the reasons of reports) carry text that others wrote: a user ID, a revocation's
message. :func:`quoted` is the one rule for putting such text in a message, :func:`printable` the
one rule for escaping what a terminal would act on.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

__all__ = [
    "QUOTE_LIMIT",
    "ArmorError",
    "BudgetError",
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
    "printable",
    "quoted",
]

#: Characters of untrusted text :func:`quoted` keeps (a user ID rarely has more than 70).
QUOTE_LIMIT = 120


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


class BudgetError(LimitError):
    """A run's budget of work on certificates is spent: what it was on cannot be judged.

    Raised by :mod:`pgpsig.openpgp.runbudget` and for the SHA-1 scans'
    :func:`~pgpsig.openpgp.sha1sig.scan_budget`. It says nothing of the input at hand (another
    certificate may have spent the budget), so it is never a reason to skip a file or drop a
    signature as malformed: what is skipped could be the revocation that matters. Whoever skips
    bad input re-raises it.
    """


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


def printable(text: str) -> str:
    r"""``text`` with every character that is not printable escaped as Python writes it.

    Control characters, newlines, DEL and C1 controls, bidirectional overrides and isolates,
    zero-width and other format characters, line and paragraph separators and unassigned code
    points become ``\n``, ``\x1b``, ``\u202e``...: nothing a terminal would act on, nothing
    that starts a new line or reorders the text around it. The space stays.
    """
    if text.isprintable():
        return text
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )


def quoted(text: str, limit: int = QUOTE_LIMIT) -> str:
    r"""Untrusted ``text`` (a user ID, a revocation message) in a message, bounded and unambiguous.

    ``"..."`` around the first ``limit`` characters, with ``"`` and ``\`` escaped by a backslash
    and the rest :func:`printable`; ``...`` after the closing quote when characters were left out.
    """
    cut = text[:limit]
    if '"' in cut or "\\" in cut:
        cut = cut.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{printable(cut)}"' + ("..." if len(text) > limit else "")
