"""Policy: which hash algorithms and key sizes pgpsig accepts, and when.

A :class:`Policy` is frozen data: cutoff tables (Sequoia style: an algorithm is acceptable for a
kind of signature until a date), the minimum key sizes, and the clock-skew tolerance. Two named
profiles exist:

* ``default``: MD5 and RIPEMD-160 never; SHA-1 never for data signatures and accepted in
  self-signatures and certifications only if made before 2023-02-01; RSA, DSA and ElGamal keys under
  2048 bits rejected.
* ``freepbx-legacy``: like ``default`` but SHA-1 *data* signatures are accepted (every FreePBX mirror
  signature 2014-2023 is SHA-1), each with a warning in the result.

Nothing here reads the clock: every check takes the time it judges at.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from enum import Enum

from pgpsig._dataclass import dataclass, field
from pgpsig.errors import PolicyError
from pgpsig.openpgp.ids import ELGAMAL_ALGORITHMS, HASH_NAMES, RSA_ALGORITHMS, HashAlgorithm
from pgpsig.openpgp.ids import PublicKeyAlgorithm as Alg
from pgpsig.openpgp.packets import PublicKey

__all__ = ["PROFILES", "Policy", "SignatureKind", "policy_named"]

_NEVER = datetime(1970, 1, 1, tzinfo=timezone.utc)
_FOREVER = None


class SignatureKind(Enum):
    """What a signature is used for; cutoffs differ by kind."""

    DATA = "data"  # binary or text signatures (0x00 / 0x01) over a document
    SELF = "self"  # self-signatures, bindings, back-signatures, revocations by the key itself
    CERTIFICATION = "certification"  # third-party certifications (0x10-0x13, 0x30)


# Acceptance cutoffs: (kind, hash id) -> first instant at which the algorithm is no longer
# accepted, or None for no cutoff. An algorithm absent from the table is never accepted.
_DEFAULT_HASH_CUTOFFS: dict[tuple[SignatureKind, int], datetime | None] = {
    # MD5 and RIPEMD-160: absent, so rejected for every kind.
    # SHA-1: never for data signatures (SHAttered, 2017; chosen-prefix, 2020).
    (SignatureKind.DATA, HashAlgorithm.SHA1): _NEVER,
    # SHA-1 self-signatures and certifications: old keys are full of them; accepted only if made
    # before 2023-02-01 (after which every maintained implementation had moved on).
    (SignatureKind.SELF, HashAlgorithm.SHA1): datetime(2023, 2, 1, tzinfo=timezone.utc),
    (SignatureKind.CERTIFICATION, HashAlgorithm.SHA1): datetime(2023, 2, 1, tzinfo=timezone.utc),
}
for _kind in SignatureKind:
    for _h in (  # SHA-2 and SHA-3 family: no cutoff
        HashAlgorithm.SHA256,
        HashAlgorithm.SHA384,
        HashAlgorithm.SHA512,
        HashAlgorithm.SHA224,
        HashAlgorithm.SHA3_256,
        HashAlgorithm.SHA3_512,
    ):
        _DEFAULT_HASH_CUTOFFS[(_kind, _h)] = _FOREVER

#: Finite-field discrete-log keys (DSA, ElGamal): the ones ``min_dsa_bits`` bounds.
_DISCRETE_LOG = frozenset({Alg.DSA, *ELGAMAL_ALGORITHMS})


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """Immutable acceptance rules. Use :func:`policy_named` or ``dataclasses.replace`` for variants."""

    name: str = "default"
    hash_cutoffs: dict[tuple[SignatureKind, int], datetime | None] = field(
        default_factory=lambda: dict(_DEFAULT_HASH_CUTOFFS)
    )
    #: Minimum sizes in bits for finite-field keys (RSA, DSA, ElGamal).
    min_rsa_bits: int = 2048
    #: Largest RSA public exponent, in bits. Real keys use 3 to 65537; OpenSSL refuses more than
    #: 64 bits above 3072-bit moduli. A huge exponent makes every check of the key's signatures a
    #: full modular exponentiation (12 ms at 3072 bits instead of 0.05 ms): with the 20,000
    #: signatures a certificate may hold, judging the key would take minutes.
    max_rsa_exponent_bits: int = 64
    min_dsa_bits: int = 2048
    #: How far in the future (relative to the reference time) a signature's creation time may be.
    clock_skew: timedelta = timedelta(minutes=5)
    #: Hash algorithms accepted with a warning, by kind (the legacy profile fills this).
    warn_hashes: frozenset[tuple[SignatureKind, int]] = frozenset()

    def __repr__(self) -> str:
        return f"<Policy {self.name}>"

    def check_hash(self, algorithm: int, *, kind: SignatureKind, at: datetime) -> str | None:
        """Raise unless ``algorithm`` is acceptable for ``kind`` at ``at``; return a warning or None.

        Raises:
            PolicyError: the algorithm is rejected.
            ValueError: ``at`` is naive.
        """
        if at.tzinfo is None:
            raise ValueError("policy times must be timezone-aware")
        name = HASH_NAMES.get(algorithm, f"hash algorithm {algorithm}")
        if (kind, algorithm) in self.warn_hashes:
            return f"{name} accepted by policy {self.name}"
        if (kind, algorithm) not in self.hash_cutoffs:
            raise PolicyError(
                f"{name} is not accepted for {kind.value} signatures (policy {self.name})"
            )
        cutoff = self.hash_cutoffs[(kind, algorithm)]
        if cutoff is not None and at >= cutoff:
            if cutoff == _NEVER:
                raise PolicyError(
                    f"{name} is not accepted for {kind.value} signatures (policy {self.name})"
                )
            raise PolicyError(
                f"{name} {kind.value} signatures made after {cutoff.date().isoformat()} "
                f"are not accepted (policy {self.name})"
            )
        return None

    def may_accept(self, algorithm: int, *, kind: SignatureKind) -> bool:
        """Whether some signature of ``kind`` hashed with ``algorithm`` may pass :meth:`check_hash`."""
        if (kind, algorithm) in self.warn_hashes:
            return True
        return self.hash_cutoffs.get((kind, algorithm), _NEVER) != _NEVER  # None: no cutoff

    def check_key(self, key: PublicKey) -> None:
        """Raise if ``key`` is too weak to be trusted under this policy.

        Raises:
            PolicyError: an RSA/DSA/ElGamal key under the minimum size, or an RSA key with a
                public exponent over ``max_rsa_exponent_bits`` bits.
        """
        if key.algorithm in RSA_ALGORITHMS and len(key.params) == 2:
            e = key.params[1]
            if isinstance(e, int) and e.bit_length() > self.max_rsa_exponent_bits:
                raise PolicyError(
                    f"RSA key {key.fingerprint} has a {e.bit_length()}-bit public exponent "
                    f"(policy {self.name} allows {self.max_rsa_exponent_bits} bits)"
                )
        if key.algorithm in RSA_ALGORITHMS and key.bits < self.min_rsa_bits:
            raise PolicyError(
                f"{key.bits}-bit RSA key {key.fingerprint} is too short "
                f"(policy {self.name} needs {self.min_rsa_bits})"
            )
        if key.algorithm in _DISCRETE_LOG and key.bits < self.min_dsa_bits:
            raise PolicyError(
                f"{key.bits}-bit {key.algorithm_name} key {key.fingerprint} is too short "
                f"(policy {self.name} needs {self.min_dsa_bits})"
            )


def _legacy() -> Policy:
    return Policy(
        name="freepbx-legacy",
        warn_hashes=frozenset({(SignatureKind.DATA, HashAlgorithm.SHA1)}),
    )


PROFILES: dict[str, Policy] = {"default": Policy(), "freepbx-legacy": _legacy()}


def policy_named(name: str) -> Policy:
    """The named profile.

    Raises:
        ValueError: an unknown profile name.
    """
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown policy {name!r} (known: {', '.join(PROFILES)})") from None
