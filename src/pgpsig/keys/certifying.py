"""Signatures a key owner or a master makes on keys: certify, revoke, revoke a certification.

This module owns :func:`certify` (``pgpsig key certify``), :func:`revoke_key` (``pgpsig key
revoke``, a revocation certificate) and :func:`revoke_certification` (``pgpsig key
revoke-certification``), with their results and :data:`REVOCATION_REASONS`. Each unlocks the
primary key of a secret key file; the steps are numbered in each docstring and marked ``# (n)`` in
the code.

Choices (also in the README, "Keys"):

* **Certify** makes one 0x10 (generic) certification by the master's primary key over every
  user ID of the certificate that is bound and not revoked, as FreePBX's masters do; a trust
  signature subpacket (FreePBX's masters write depth 1, amount 60) is added only when asked, as
  pgpsig's trust model needs none. **Revoke-certification** makes the master's 0x30 over each user
  ID the master certified.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from pgpsig._dataclass import dataclass, field
from pgpsig.certs.keyring import cert_to_bytes, merge_cert, read_certs
from pgpsig.engine.judge import Judge
from pgpsig.engine.view import CertView
from pgpsig.errors import CertificateError, InputError
from pgpsig.keys._common import _copy, _public_key, _require_aware
from pgpsig.keys.material import _one_clean_cert
from pgpsig.openpgp import armor
from pgpsig.openpgp.ids import CERTIFICATION_TYPES, RevocationReason, SignatureType, SubpacketType
from pgpsig.openpgp.packets import Cert, Component, iter_packets
from pgpsig.openpgp.packets import parse_signature as _parse_signature
from pgpsig.openpgp.secretkey import load_signing_keys
from pgpsig.openpgp.signing import signature_packet
from pgpsig.openpgp.signingkey import SigningKey, best_hash
from pgpsig.openpgp.write import subpacket
from pgpsig.policy import Policy
from pgpsig.report import iso

__all__ = [
    "REVOCATION_REASONS",
    "CertifyResult",
    "RevocationResult",
    "certify",
    "revoke_certification",
    "revoke_key",
]


#: Revocation reasons by name -> code (RFC 9580 section 5.2.3.31).
REVOCATION_REASONS: dict[str, int] = {
    "unspecified": RevocationReason.NO_REASON,
    "superseded": RevocationReason.SUPERSEDED,
    "compromised": RevocationReason.COMPROMISED,
    "retired": RevocationReason.RETIRED,
    "uid-invalid": RevocationReason.USER_ID_INVALID,
}


def _load_primary(secret_key: bytes, passphrase: bytes | None) -> tuple[SigningKey, Cert]:
    """The unlocked primary key of a secret key file, and its certificate.

    Raises:
        InputError: The file holds only a stub of the primary key.
    """
    keys = load_signing_keys(secret_key, passphrase)
    primary = next((k for k in keys if k.is_primary), None)
    if primary is None:
        raise InputError(
            "the secret key file holds no primary secret key (only subkeys): "
            "certifications and revocations need the primary key"
        )
    certs = read_certs(secret_key, source="secret key")
    return primary, certs[0]


def _signable(key: SigningKey, now: datetime) -> datetime:
    created = now.astimezone(timezone.utc).replace(microsecond=0)
    if created < key.created:
        raise CertificateError(
            f"key {key.fingerprint} was created {key.created.isoformat()}, after "
            f"{created.isoformat()}: check the clock"
        )
    return created


def _bound_uids(v: CertView, at: datetime) -> list[Component]:
    return [c for c in v.cert.uids if v.uid_bound(c, at)]


@dataclass(frozen=True, slots=True, kw_only=True)
class CertifyResult:
    """A certificate with new certifications (or certification revocations) by a master key."""

    fingerprint: str
    by: str
    user_ids: tuple[str, ...]
    skipped: tuple[str, ...]
    certificate: bytes = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "fingerprint": self.fingerprint,
            "by": self.by,
            "user_ids": list(self.user_ids),
            "skipped": list(self.skipped),
        }


def _armored_cert(cert: Cert, extra: Mapping[bytes, list[bytes]]) -> bytes:
    """``cert`` with extra signature packets after some user IDs (by user ID value), armored."""
    data = cert_to_bytes(cert)
    if extra:
        with_extra = Cert(primary=cert.primary)
        merge_cert(with_extra, cert)
        for comp in with_extra.uids:
            for pkt in extra.get(comp.value, []):
                comp.signatures.append(_parse_signature(next(iter_packets(pkt)).body))
        data = cert_to_bytes(with_extra)
    return armor.encode("PGP PUBLIC KEY BLOCK", data, [("Comment", cert.fingerprint)])


def certify(
    cert_data: bytes,
    master_key: bytes,
    *,
    passphrase: bytes | None,
    now: datetime,
    policy: Policy,
    trust: tuple[int, int] | None = None,
) -> CertifyResult:
    """Certify every valid user ID of a certificate with a master key.

    Steps:

    1. Unlock the master's primary key; the master must be able to certify now (valid, alive,
       unrevoked, Certify flag) under ``policy``.
    2. Read the certificate (one, cleaned); it must be valid now: pgpsig does not certify a
       revoked or expired key.
    3. Choose the user IDs: bound by a valid self-signature and not revoked; those the master
       already certified (and did not revoke) are skipped.
    4. Make a 0x10 certification of each, with a trust-signature subpacket when ``trust`` is set.
    5. Return the certificate with the new certifications, armored.

    Args:
        cert_data: The certificate to certify (armored or binary).
        master_key: The master's transferable secret key.
        passphrase: Unlocks the master key if it is protected.
        now: The certification time (timezone-aware).
        policy: The policy under which both keys are judged.
        trust: ``(depth, amount)`` of a trust signature (FreePBX's masters: ``(1, 60)``).

    Returns:
        The certificate with its new certifications.

    Raises:
        PassphraseError: A wrong or missing passphrase.
        CertificateError: The master cannot certify, or the certificate is not valid now, or it
            has no user ID to certify.
        FormatError: Malformed input.
        ValueError: A naive ``now`` or a trust value outside 0..255.
    """
    _require_aware(now)
    # (1)
    master, master_cert = _load_primary(master_key, passphrase)
    created = _signable(master, now)
    Judge.alone(master_cert, policy, created).can_certify(created)
    # (2)
    cert, _ = _one_clean_cert(cert_data, source="certificate", noun="certificate")
    if cert.fingerprint == master.fingerprint:
        raise CertificateError("a key does not certify itself here (it already self-signs)")
    v = Judge.alone(cert, policy, created)
    v.check_primary(created)
    # (3)
    p = cert.primary
    master_pub = _public_key(master)
    targets: list[Component] = []
    skipped: list[str] = []
    for comp in _bound_uids(v, created):
        prefix = p.hash_prefix() + comp.hash_prefix()
        mine = [
            s
            for s in comp.signatures
            if s.sig_type in CERTIFICATION_TYPES
            and s.may_be_issued_by(master_pub)
            and s.created
            and v.verify_over(s, master_pub, prefix)
        ]
        revs = [
            s
            for s in comp.signatures
            if s.sig_type == SignatureType.CERTIFICATION_REVOCATION
            and s.may_be_issued_by(master_pub)
            and s.created
            and v.verify_over(s, master_pub, prefix)
        ]
        newest_cert = max((s.created for s in mine if s.created), default=None)
        newest_rev = max((s.created for s in revs if s.created), default=None)
        if newest_cert is not None and (newest_rev is None or newest_rev < newest_cert):
            skipped.append(comp.uid)
            continue
        targets.append(comp)
    if not targets and not skipped:
        raise CertificateError(f"{cert.fingerprint} has no valid user ID to certify")
    # (4)
    extra_sp = []
    if trust is not None:
        depth, amount = trust
        if not (0 <= depth <= 255 and 0 <= amount <= 255):
            raise ValueError("trust depth and amount are 0..255")
        extra_sp.append(subpacket(SubpacketType.TRUST_SIGNATURE, bytes([depth, amount])))
    new: dict[bytes, list[bytes]] = {}
    for comp in targets:
        new[comp.value] = [
            signature_packet(
                master,
                p.hash_prefix() + comp.hash_prefix(),
                sig_type=SignatureType.GENERIC_CERTIFICATION,
                created=created,
                hash_name=best_hash(master),
                extra_hashed_subpackets=extra_sp,
            )
        ]
    # (5)
    return CertifyResult(
        fingerprint=cert.fingerprint,
        by=master.fingerprint,
        user_ids=tuple(c.uid for c in targets),
        skipped=tuple(skipped),
        certificate=_armored_cert(cert, new),
    )


def _reason_subpacket(reason: str, message: str) -> bytes:
    code = REVOCATION_REASONS.get(reason)
    if code is None:
        raise ValueError(f"unknown reason {reason!r} (use {', '.join(REVOCATION_REASONS)})")
    if any(ch in message for ch in "\r\n\0"):
        raise ValueError("the revocation message must be one line")
    return subpacket(SubpacketType.REASON_FOR_REVOCATION, bytes([code]) + message.encode("utf-8"))


@dataclass(frozen=True, slots=True, kw_only=True)
class RevocationResult:
    """A key revocation certificate: one 0x20 signature, armored as gpg writes them."""

    fingerprint: str
    reason: str
    message: str
    created: datetime
    revocation: bytes = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "fingerprint": self.fingerprint,
            "reason": self.reason,
            "message": self.message,
            "created": iso(self.created),
        }


def revoke_key(
    secret_key: bytes,
    *,
    passphrase: bytes | None,
    reason: str,
    message: str = "",
    now: datetime,
) -> RevocationResult:
    """Make a revocation certificate for a key (0x20 by the key itself).

    Steps:

    1. Unlock the primary key.
    2. Make the 0x20 signature over the primary key, with the reason code and message.
    3. Check that pgpsig accepts it as a revocation of that key.
    4. Armor it as a ``PGP PUBLIC KEY BLOCK`` holding the signature alone (what gpg's
       ``--gen-revoke`` writes and ``gpg --import`` and ``pgpsig key import`` accept).

    Keep it offline and import it anywhere (store, gpg, keyserver) when the time comes. A
    ``compromised`` or ``unspecified`` revocation invalidates every signature the key ever made;
    ``superseded`` and ``retired`` only those made after the revocation.

    Args:
        secret_key: The key's transferable secret key.
        passphrase: Unlocks it if it is protected.
        reason: A name of :data:`REVOCATION_REASONS`.
        message: One line of explanation.
        now: The revocation time (timezone-aware).

    Returns:
        The revocation certificate.

    Raises:
        PassphraseError: A wrong or missing passphrase.
        InputError: The file holds no primary secret key.
        ValueError: An unknown reason, a multi-line message, a naive ``now``.
        CertificateError: The revocation does not verify (a bug).
    """
    _require_aware(now)
    # (1)
    key, cert = _load_primary(secret_key, passphrase)
    created = _signable(key, now)
    # (2)
    packet = signature_packet(
        key,
        cert.primary.hash_prefix(),
        sig_type=SignatureType.KEY_REVOCATION,
        created=created,
        hash_name=best_hash(key),
        extra_hashed_subpackets=[_reason_subpacket(reason, message)],
    )
    # (3)
    sig = _parse_signature(next(iter_packets(packet)).body)
    probe = _copy(cert)
    probe.direct.append(sig)
    if not any(r.created == created for r in Judge.alone(probe, Policy(), created).revocations()):
        raise CertificateError("the new revocation does not verify")
    # (4)
    headers = [
        ("Comment", "This is a revocation certificate"),
        ("Comment", f"for {key.fingerprint}"),
    ]
    return RevocationResult(
        fingerprint=key.fingerprint,
        reason=reason,
        message=message,
        created=created,
        revocation=armor.encode("PGP PUBLIC KEY BLOCK", packet, headers),
    )


def revoke_certification(
    cert_data: bytes,
    master_key: bytes,
    *,
    passphrase: bytes | None,
    reason: str = "unspecified",
    message: str = "",
    now: datetime,
) -> CertifyResult:
    """Revoke the master's certifications of a certificate (0x30 by the master).

    Steps:

    1. Unlock the master's primary key.
    2. Read the certificate (one, cleaned).
    3. Find the user IDs carrying a certification by the master that verifies.
    4. Make a 0x30 by the master over each, with the reason and message.
    5. Return the certificate with the revocations, armored (import it into the store or
       publish it; a 0x30 cannot travel without its user ID).

    Args:
        cert_data: The certified certificate.
        master_key: The master's transferable secret key.
        passphrase: Unlocks the master key if it is protected.
        reason: A name of :data:`REVOCATION_REASONS` (``unspecified`` by default).
        message: One line of explanation.
        now: The revocation time (timezone-aware).

    Returns:
        The certificate with the certification revocations.

    Raises:
        PassphraseError: A wrong or missing passphrase.
        CertificateError: The master never certified this certificate.
        FormatError: Malformed input.
        ValueError: An unknown reason, a multi-line message, a naive ``now``.
    """
    _require_aware(now)
    # (1)
    master, _ = _load_primary(master_key, passphrase)
    created = _signable(master, now)
    reason_sp = _reason_subpacket(reason, message)
    # (2)
    cert, _ = _one_clean_cert(cert_data, source="certificate", noun="certificate")
    v = Judge.alone(cert, Policy(), created)
    p = cert.primary
    master_pub = _public_key(master)
    # (3)
    targets = []
    for comp in cert.uids:
        prefix = p.hash_prefix() + comp.hash_prefix()
        if any(
            s.sig_type in CERTIFICATION_TYPES
            and s.may_be_issued_by(master_pub)
            and v.verify_over(s, master_pub, prefix)
            for s in comp.signatures
        ):
            targets.append(comp)
    if not targets:
        raise CertificateError(
            f"{master.fingerprint} has no certification on {cert.fingerprint} to revoke"
        )
    # (4)
    new = {
        comp.value: [
            signature_packet(
                master,
                p.hash_prefix() + comp.hash_prefix(),
                sig_type=SignatureType.CERTIFICATION_REVOCATION,
                created=created,
                hash_name=best_hash(master),
                extra_hashed_subpackets=[reason_sp],
            )
        ]
        for comp in targets
    }
    # (5)
    return CertifyResult(
        fingerprint=cert.fingerprint,
        by=master.fingerprint,
        user_ids=tuple(c.uid for c in targets),
        skipped=(),
        certificate=_armored_cert(cert, new),
    )
