"""Public-key signature checks over a finished digest, with ``cryptography``.

This module owns one question: does signature material ``S`` from key ``K`` match digest ``D``?
It knows RSA (PKCS#1 v1.5), DSA, ECDSA (NIST P-256/384/521, brainpool) and EdDSA (legacy algorithm
22 with Ed25519, and RFC 9580 Ed25519/Ed448). It does not decide whether the key or the signature is
*acceptable* (validity, policy); that is :mod:`pgpsig.engine` and :mod:`pgpsig.policy`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from pgpsig.errors import BudgetError, PgpsigError, SignatureError, UnsupportedError
from pgpsig.openpgp.ids import RSA_ALGORITHMS, HashAlgorithm
from pgpsig.openpgp.ids import PublicKeyAlgorithm as Alg
from pgpsig.openpgp.publickey import PublicKey
from pgpsig.openpgp.runbudget import charge_check
from pgpsig.openpgp.sha1sig import ScanBudgetError, scans_deferred
from pgpsig.openpgp.signature import Signature, SignatureHash, new_hash

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
    from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

    from pgpsig.openpgp import _dsa

    _PublicKeyObject = (
        rsa.RSAPublicKey
        | _dsa.DSAPublicKey
        | ec.EllipticCurvePublicKey
        | ed25519.Ed25519PublicKey
        | ed448.Ed448PublicKey
    )

__all__ = ["check_signature"]

# ``cryptography`` is imported when a signature is checked, and then only the module of the key's
# algorithm: RSA alone brings ``random``, and the whole set costs a check's start-up 4-5 ms.

#: OpenPGP hash algorithm -> ``cryptography`` hash class name (RIPEMD-160 has none).
_HASHES: dict[int, str] = {
    HashAlgorithm.MD5: "MD5",
    HashAlgorithm.SHA1: "SHA1",
    HashAlgorithm.SHA256: "SHA256",
    HashAlgorithm.SHA384: "SHA384",
    HashAlgorithm.SHA512: "SHA512",
    HashAlgorithm.SHA224: "SHA224",
    HashAlgorithm.SHA3_256: "SHA3_256",
    HashAlgorithm.SHA3_512: "SHA3_512",
}

#: RSA ids a signature may carry (general and sign-only), interchangeable between key and signature.
_RSA_SIGNING = frozenset({Alg.RSA, Alg.RSA_SIGN_ONLY})

#: OpenPGP curve name -> ``cryptography`` curve class name (ECDSA).
_CURVES: dict[str, str] = {
    "P-256": "SECP256R1",
    "P-384": "SECP384R1",
    "P-521": "SECP521R1",
    "brainpoolP256r1": "BrainpoolP256R1",
    "brainpoolP384r1": "BrainpoolP384R1",
    "brainpoolP512r1": "BrainpoolP512R1",
}


@lru_cache(maxsize=1024)
def _load(key: PublicKey) -> _PublicKeyObject:
    """Build (once per key object) the ``cryptography`` public key."""
    from cryptography.exceptions import UnsupportedAlgorithm

    try:
        if key.algorithm in RSA_ALGORITHMS:
            from cryptography.hazmat.primitives.asymmetric import rsa

            n, e = key.params
            assert isinstance(n, int)
            assert isinstance(e, int)
            return rsa.RSAPublicNumbers(e, n).public_key()
        if key.algorithm == Alg.DSA:
            from pgpsig.openpgp import _dsa

            p, q, g, y = key.params
            assert isinstance(p, int)
            assert isinstance(q, int)
            assert isinstance(g, int)
            assert isinstance(y, int)
            return _dsa.DSAPublicNumbers(y, _dsa.DSAParameterNumbers(p, q, g)).public_key()
        if key.algorithm == Alg.ECDSA:
            from cryptography.hazmat.primitives.asymmetric import ec

            curve: type[ec.EllipticCurve] | None = getattr(
                ec, _CURVES.get(key.curve or "", ""), None
            )
            if curve is None:
                raise UnsupportedError(f"unsupported ECDSA curve {key.curve}")
            point = key.params[1]
            assert isinstance(point, bytes)
            return ec.EllipticCurvePublicKey.from_encoded_point(curve(), point)
        if key.algorithm == Alg.EDDSA_LEGACY:
            point = key.params[1]
            assert isinstance(point, bytes)
            if key.curve == "Ed25519" and len(point) == 33 and point[0] == 0x40:
                from cryptography.hazmat.primitives.asymmetric import ed25519

                return ed25519.Ed25519PublicKey.from_public_bytes(point[1:])
            if key.curve == "Ed448" and len(point) == 58 and point[0] == 0x40:
                from cryptography.hazmat.primitives.asymmetric import ed448

                return ed448.Ed448PublicKey.from_public_bytes(point[1:])
            raise UnsupportedError(f"unsupported EdDSA key on curve {key.curve}")
        if key.algorithm == Alg.ED25519:
            from cryptography.hazmat.primitives.asymmetric import ed25519

            raw = key.params[0]
            assert isinstance(raw, bytes)
            return ed25519.Ed25519PublicKey.from_public_bytes(raw)
        if key.algorithm == Alg.ED448:
            from cryptography.hazmat.primitives.asymmetric import ed448

            raw = key.params[0]
            assert isinstance(raw, bytes)
            return ed448.Ed448PublicKey.from_public_bytes(raw)
    except (ValueError, UnsupportedAlgorithm) as e:
        raise SignatureError(f"key {key.fingerprint} has invalid public parameters: {e}") from e
    raise UnsupportedError(f"{key.algorithm_name} keys cannot make signatures")


def _prehashed(sig: Signature) -> Prehashed:
    """The signature's hash algorithm, for a digest already made (RSA, DSA, ECDSA)."""
    name = _HASHES.get(sig.hash_algorithm)
    if name is None:
        raise UnsupportedError(f"unsupported hash {sig.hash_name}")
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

    algorithm: type[hashes.HashAlgorithm] = getattr(hashes, name)
    return Prehashed(algorithm())


def check_signature(
    key: PublicKey, sig: Signature, digest: bytes, *, certificate: bool = False
) -> None:
    """Raise unless ``sig`` (made by ``key``) is a correct signature over ``digest``.

    ``digest`` is the finished hash of the signed data plus the signature trailer. A
    ``certificate`` signature's check is charged to the run's budget
    (:func:`~pgpsig.openpgp.runbudget.charge_check`) once the cheap tests have passed (the digest
    prefix, the algorithm), before the public-key operation.

    Raises:
        SignatureError: the signature does not match, or the key cannot have made it.
        UnsupportedError: an algorithm pgpsig does not implement.
        BudgetError: a ``certificate`` signature's check past the run's budget (not made).
    """
    if sig.left16 != digest[:2]:
        raise SignatureError(
            "digest prefix mismatch (the signed data or the signature was altered)"
        )
    if sig.pubkey_algorithm != key.algorithm and not (
        sig.pubkey_algorithm in _RSA_SIGNING and key.algorithm in _RSA_SIGNING
    ):
        raise SignatureError(
            f"signature algorithm {sig.pubkey_algorithm} does not match key algorithm {key.algorithm}"
        )
    if certificate:
        charge_check(key)
    pub = _load(key)  # imports the one cryptography module that key needs
    from cryptography.exceptions import InvalidSignature

    try:
        if key.algorithm in RSA_ALGORITHMS:
            from cryptography.hazmat.primitives.asymmetric import padding, rsa

            assert isinstance(pub, rsa.RSAPublicKey)
            prehashed = _prehashed(sig)
            assert isinstance(sig.material, tuple)
            (s,) = sig.material
            size = (pub.key_size + 7) // 8
            if s.bit_length() > pub.key_size:
                raise SignatureError("RSA signature value larger than the modulus")
            pub.verify(s.to_bytes(size, "big"), digest, padding.PKCS1v15(), prehashed)
        elif key.algorithm == Alg.DSA:
            from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

            from pgpsig.openpgp import _dsa

            assert isinstance(pub, _dsa.DSAPublicKey)
            prehashed = _prehashed(sig)
            assert isinstance(sig.material, tuple)
            r, s = sig.material
            # OpenSSL truncates the digest to the size of q (FIPS 186-4 section 4.6).
            pub.verify(encode_dss_signature(r, s), digest, prehashed)
        elif key.algorithm == Alg.ECDSA:
            from cryptography.hazmat.primitives.asymmetric import ec
            from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

            assert isinstance(pub, ec.EllipticCurvePublicKey)
            prehashed = _prehashed(sig)
            assert isinstance(sig.material, tuple)
            r, s = sig.material
            pub.verify(encode_dss_signature(r, s), digest, ec.ECDSA(prehashed))
        else:
            from cryptography.hazmat.primitives.asymmetric import ed25519

            if isinstance(pub, ed25519.Ed25519PublicKey):
                if isinstance(sig.material, bytes):
                    raw = sig.material
                else:
                    r, s = sig.material
                    if r.bit_length() > 256 or s.bit_length() > 256:
                        raise SignatureError("EdDSA signature values too large")
                    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
                pub.verify(raw, digest)
            else:
                from cryptography.hazmat.primitives.asymmetric import ed448

                assert isinstance(pub, ed448.Ed448PublicKey)
                if isinstance(sig.material, bytes):
                    raw = sig.material
                else:
                    r, s = sig.material
                    raw = r.to_bytes(57, "big") + s.to_bytes(57, "big")
                pub.verify(raw, digest)
    except InvalidSignature as e:
        raise SignatureError("bad signature") from e
    except (ValueError, OverflowError) as e:
        raise SignatureError(f"malformed signature values: {e}") from e


@lru_cache(maxsize=2)
def _hashed_prefix(version: int, hash_algorithm: int, salt: bytes, prefix: bytes) -> SignatureHash:
    """A hash object for a signature's digest that has hashed ``prefix``, for copies to go on from.

    Kept for the last two prefixes (the checks of one component run together): a component may
    carry 512 signatures over a prefix of up to 16 MiB (a user attribute), each of which would
    hash it again, and for SHA-1 scan it for a collision attack again (2.4 MB/s). A copy of a
    :class:`~pgpsig.openpgp.sha1sig.SignatureSHA1` shares the scan of what was hashed before it.
    This object is only ever copied, never updated.

    Raises:
        PacketError: the hash algorithm is unknown or not available.
    """
    h = new_hash(version, hash_algorithm, salt)
    h.update(prefix)
    return h


def verifies_over(sig: Signature, signer: PublicKey, prefix: bytes) -> bool:
    """Whether ``sig`` by ``signer`` verifies over ``prefix`` (the signed key and component bytes).

    The one cryptographic check of a certificate signature: its hash (salted for v6) over
    ``prefix`` and its trailer, then :func:`check_signature`. No other rule is applied; the
    validity engine caches it, and readers that sort a certificate's packets (``key import``,
    revocation files) call it directly. The signatures over one prefix (a component's, up to 512)
    start from one hash of it (:func:`_hashed_prefix`), not one each. A SHA-1 signature is
    checked before its data is scanned for a collision attack
    (:func:`~pgpsig.openpgp.sha1sig.scans_deferred`, as for data signatures): a forged one costs
    no scan. One that verifies but whose scan would pass the run's budget
    (:func:`~pgpsig.openpgp.sha1sig.scan_budget`) can be neither counted nor dropped safely (a
    dropped revocation, designated revoker or expiry would leave a key valid):
    :class:`~pgpsig.errors.BudgetError`, the run cannot judge that certificate. So can a check past
    the run's budget of public-key checks (:mod:`pgpsig.openpgp.runbudget`), for the same reason.

    Raises:
        BudgetError: a SHA-1 signature that verifies, past the run's scan budget; a check past the
            run's budget of checks.
    """
    try:
        h = _hashed_prefix(sig.version, sig.hash_algorithm, sig.salt, prefix).copy()
        h.update(sig.trailer())
        with scans_deferred(certificate=True) as scan:  # scanned only once a key verifies it
            digest = h.digest()
        check_signature(signer, sig, digest, certificate=True)
        scan()
    except ScanBudgetError as e:
        # Verified by its key, not scanned: whether it counts is unknown, and each answer can fail
        # open (a thief spends the budget before a revocation is checked; another certificate
        # spends it before this one's designated revoker or expiry). Nothing of it is judged.
        raise BudgetError(str(e)) from None
    except BudgetError:  # the run's budget of checks is spent (runbudget): judged as above
        raise
    except PgpsigError:
        return False
    return True
