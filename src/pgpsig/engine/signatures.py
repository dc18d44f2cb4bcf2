"""Judging one data signature against the keyring as of the judge's reference time.

This module owns the data-signature rule every use case applies (``verify``, ``check``, ``sop``)
and the one place such a use case makes its :class:`~pgpsig.engine.judge.Judge`
(:func:`judge_for`). Reading, framing and hashing the signed data are :mod:`pgpsig.verify`'s: a
signature is judged here with its finished digest.

Steps of :func:`judge_signature`, for one signature, as of the reference time ``now``:

1. The signature is well formed: version 4 or 6, a data signature type (0x00 or 0x01; only 0x01
   inside a clear-signed frame), exactly one hashed creation time, no critical subpacket or
   notation pgpsig does not understand.
2. Its creation time is not in the future (beyond the policy's clock skew) and, if it carries a
   validity period, it has not expired at ``now``.
3. The signer is found in the keyring by issuer fingerprint (or key ID when no fingerprint is given);
   every candidate key is tried.
4. The policy accepts its hash algorithm for data signatures at its creation time.
5. The signing key is valid, alive, unrevoked and allowed to sign at the signature's creation time,
   as the run's judge sees it (:meth:`pgpsig.engine.view.CertView.check_signing_key`).
6. The digest of the signed data (canonical text for 0x01) plus the signature trailer matches;
   then, for SHA-1, the data carries no collision attack (:mod:`pgpsig.openpgp.sha1sig`: the
   scan runs last, only for a signature that a key verifies and that passed step 5, so neither a
   forgery nor a signature by a revoked or expired key costs one, nor spends the input's scan
   budget).

A result that names the signer's certificate also names it by its user ID at the signature's time
(:meth:`pgpsig.engine.view.CertView.primary_user_id`), whatever the verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pgpsig.certs.keyring import Keyring
from pgpsig.engine.judge import Judge
from pgpsig.engine.selfsig import single_creation_time
from pgpsig.engine.verdicts import KeyExpiredError, KeyRevokedError
from pgpsig.errors import (
    BudgetError,
    FormatError,
    PgpsigError,
    PolicyError,
    SignatureError,
    UnsupportedError,
)
from pgpsig.openpgp import sha1sig
from pgpsig.openpgp._crypto import check_signature
from pgpsig.openpgp.ids import SignatureType
from pgpsig.openpgp.packets import Cert, PublicKey, Signature
from pgpsig.policy import Policy, SignatureKind
from pgpsig.report import SignatureResult, SigStatus

__all__ = ["judge_for", "judge_signature"]

#: The signature types that sign data (binary 0x00, canonical text 0x01).
_DATA_TYPES = frozenset({SignatureType.BINARY, SignatureType.TEXT})


def judge_for(keyring: Keyring, policy: Policy, now: datetime, judge: Judge | None = None) -> Judge:
    """The run's judge: the one given (it must be about this keyring, policy and time), else new.

    The one place a use case that reads a keyring makes its :class:`~pgpsig.engine.judge.Judge`
    (``verify``, ``check``, ``key list``, ``sop``): one judge, and so one cache, per run.

    Raises:
        ValueError: ``now`` is naive, or ``judge`` is for another keyring, policy or time.
    """
    if judge is None:
        return Judge(policy, now, keyring)
    if judge.keyring is not keyring or judge.policy is not policy or judge.as_of != now:
        raise ValueError("the judge given is for another keyring, policy or reference time")
    return judge


def judge_signature(
    sig: Signature,
    digest: Callable[[Signature], bytes],
    judge: Judge,
    *,
    clearsigned: bool = False,
    block: int = 0,
) -> SignatureResult:
    """Judge one data signature as of ``judge.as_of``; ``digest(sig)`` gives its finished digest.

    Returns a result whatever happens; it never raises for a bad or unacceptable signature.
    """
    keyring, policy, now = judge.keyring, judge.policy, judge.as_of
    if keyring is None:
        raise ValueError("judging a data signature needs a judge with a keyring")
    base = {"created": sig.created, "hash_algorithm": sig.hash_name, "block": block}
    # The signer a failure names before a key is found: the first issuer fingerprint of a
    # fingerprint's length (v4 40, v6 64 digits); a malformed one is no fingerprint to report.
    hint = next((f for f in sig.issuer_fingerprints if len(f) in (40, 64)), None)

    def result(status: SigStatus, reason: str | None = None, **kw: object) -> SignatureResult:
        fields: dict[str, object] = {"signer": hint, **base, **kw}
        return SignatureResult(status=status, reason=reason, **fields)  # type: ignore[arg-type]

    # (1) Well formed, and a data signature of the right type for its context.
    if sig.sig_type not in _DATA_TYPES:
        return result(SigStatus.BAD, f"signature type 0x{sig.sig_type:02x} is not a data signature")
    if clearsigned and sig.sig_type != SignatureType.TEXT:
        return result(SigStatus.BAD, "a clear-signed frame needs a text signature (type 0x01)")
    made = single_creation_time(sig)
    if made is None:
        return result(SigStatus.BAD, "no (or more than one) hashed signature creation time")
    defect = sig.defect()
    if defect is not None:
        return result(SigStatus.BAD, f"signature has a {defect}")
    # (2) Not from the future, not expired now.
    if made > now + policy.clock_skew:
        return result(SigStatus.BAD, f"signature created in the future ({made.isoformat()})")
    exp_at = sig.expires_at
    if exp_at is not None and exp_at <= now:
        return result(SigStatus.EXPIRED, f"signature expired {exp_at.isoformat()}")
    # (3) Find the signer.
    cands = keyring.candidates(sig.issuer_fingerprints, sig.issuer_key_ids)
    if not cands:
        return result(SigStatus.UNKNOWN_KEY, f"no certificate for signer {sig.issuer_hint}")
    # (4) Hash policy for data signatures.
    try:
        warning = policy.check_hash(sig.hash_algorithm, kind=SignatureKind.DATA, at=made)
    except PolicyError as e:
        c0, k0 = cands[0]
        return result(SigStatus.POLICY, str(e), **_who(judge, c0, k0, made))
    warnings = (warning,) if warning else ()
    # (5) + (6) for each candidate key; the first that passes wins, else the most telling failure.
    failures: list[SignatureResult] = []
    try:
        with sha1sig.scans_deferred() as scan:  # a SHA-1 collision scan waits for the end of (6)
            d = digest(sig)
    except UnsupportedError as e:
        return result(SigStatus.POLICY, str(e))
    except FormatError as e:
        return result(SigStatus.MALFORMED, str(e))
    except SignatureError as e:  # a SHA-1 collision attack in the data: bad whatever the policy
        c0, k0 = cands[0]
        return result(SigStatus.BAD, str(e), **_who(judge, c0, k0, made))
    for cert, key in cands:
        who = _who(judge, cert, key, made)
        if (sig.version == 6) != (key.version == 6):
            reason = f"a v{sig.version} signature cannot come from a v{key.version} key"
            failures.append(result(SigStatus.BAD, reason, **who))
            continue
        try:
            check_signature(key, sig, d)
        except UnsupportedError as e:
            failures.append(result(SigStatus.POLICY, str(e), **who))
            continue
        except SignatureError as e:
            failures.append(result(SigStatus.BAD, str(e), **who))
            continue
        try:
            judge.view(cert).check_signing_key(key, made)
        except KeyRevokedError as e:
            failures.append(result(SigStatus.REVOKED, str(e), **who))
            continue
        except KeyExpiredError as e:
            failures.append(result(SigStatus.EXPIRED, str(e), **who))
            continue
        except PolicyError as e:
            failures.append(result(SigStatus.POLICY, str(e), **who))
            continue
        except PgpsigError as e:
            failures.append(result(SigStatus.INVALID_KEY, str(e), **who))
            continue
        try:
            # The data's SHA-1 collision scan, last: once a key that may sign verifies the
            # signature (one by a revoked or expired key spends nothing of the input's budget).
            scan()
        except SignatureError as e:  # a collision attack (or past the budget): bad whatever the key
            return result(SigStatus.BAD, str(e), **who)
        return result(SigStatus.GOOD, None, warnings=warnings, **who)
    # Prefer a cryptographically good signature's key problem over a mismatch with another key.
    non_bad = [f for f in failures if f.status is not SigStatus.BAD]
    return (non_bad or failures)[0]


def _who(judge: Judge, cert: Cert, key: PublicKey, made: datetime) -> dict[str, object]:
    """The signer's fields of a result: its key, its certificate, the user ID naming it at ``made``.

    No user ID when the run cannot judge the certificate (a budget of the run spent): the name
    is only shown, and step 5 then fails with the reason.
    """
    try:
        uid = judge.view(cert).primary_user_id(made)
    except BudgetError:
        uid = None
    return {
        "signer": key.fingerprint,
        "primary": cert.fingerprint,
        "user_id": None if uid is None else uid.uid,
    }
