"""Publishing a key: ``pgpsig key export``, the certificate of a secret key.

This module owns :func:`export_certificate`: the public parts of a transferable secret key,
cleaned (:func:`~pgpsig.keys.material.clean_cert`) and armored. No passphrase is needed. Its
steps are numbered in its docstring and marked ``# (n)`` in the code.
"""

from __future__ import annotations

from pgpsig._dataclass import dataclass, field
from pgpsig.certs.keyring import cert_to_bytes
from pgpsig.keys._common import _first_user_id
from pgpsig.keys.material import _one_clean_cert
from pgpsig.openpgp import armor

__all__ = [
    "ExportResult",
    "export_certificate",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportResult:
    """A certificate made from a secret key."""

    fingerprint: str
    user_id: str | None
    certificate: bytes = field(repr=False)
    notes: tuple[str, ...] = ()


def export_certificate(secret_key: bytes) -> ExportResult:
    """The public certificate of a transferable secret key (no passphrase needed).

    Steps:

    1. Parse the secret key's packets (public parts only are kept).
    2. Keep what verifies (:func:`clean_cert`).
    3. Armor it.

    Args:
        secret_key: One transferable secret key, armored or binary (a certificate is accepted
            too, and cleaned).

    Returns:
        The armored certificate.

    Raises:
        FormatError: Not a key, or several keys.
        CertificateError: No valid self-signature.
    """
    # (1), (2)
    cleaned, notes = _one_clean_cert(secret_key, source="secret key", noun="key")
    # (3)
    uid = _first_user_id(cleaned)
    headers = [("Comment", cleaned.fingerprint)]
    return ExportResult(
        fingerprint=cleaned.fingerprint,
        user_id=uid,
        certificate=armor.encode("PGP PUBLIC KEY BLOCK", cert_to_bytes(cleaned), headers),
        notes=tuple(notes),
    )
