"""The engine's own rules, asked of the Judge and its views directly, on the certificates of ``vectors/``.

``tests/corpus/test_vectors.py`` runs each vector through ``pgpsig verify`` and checks the exit code;
this module asks the engine the questions behind those answers, without a subprocess: the state of
the signing key at the time the vector's signature was made (rules 1-6 of
:mod:`pgpsig.engine.view`), the facts the states come from (the expiry and flags the stating
self-signatures give, which revocations are known at the reference time, hard or soft, which
bindings count), and the verdicts on third-party certifications
(:mod:`pgpsig.engine.certification`) of the attack corpus' keys. Each test names the rule it pins: if
the rule changes, the test fails. Where no vector separates two readings of a rule (two stating
signatures that both state an expiry or flags; gpg's grace for a late first binding), the
certificate is made here with the vectors' own writer (``vectors/generate.py``).

Times are the vectors' (``vectors/README.md``, Timeline): keys and self-signatures at t0, events
before the signature at t1, the data signature at t2, events after it at t3, reference time AT.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from pgpsig.certs.keyring import Keyring, load_keyring, read_certs
from pgpsig.engine.judge import Judge
from pgpsig.engine.revocation import revocation_in_effect
from pgpsig.engine.signatures import judge_for
from pgpsig.engine.verdicts import KeyExpiredError, KeyRevokedError, UnboundKeyError
from pgpsig.engine.view import CertView
from pgpsig.errors import PolicyError
from pgpsig.openpgp.ids import (
    CERTIFICATION_TYPES,
    HashAlgorithm,
    KeyFlag,
    RevocationReason,
    SignatureType,
)
from pgpsig.openpgp.packets import Cert, PublicKey, parse_certs, parse_signatures
from pgpsig.policy import Policy, SignatureKind, policy_named

VECTORS = Path(__file__).resolve().parents[2] / "vectors"
sys.path.insert(0, str(VECTORS))
import generate as g  # noqa: E402 - the vectors' OpenPGP writer, for cases no vector has

UTC = timezone.utc
T0 = datetime(2024, 1, 1, tzinfo=UTC)
T1 = datetime(2024, 3, 1, tzinfo=UTC)
T2 = datetime(2024, 6, 1, tzinfo=UTC)
T3 = datetime(2024, 9, 1, tzinfo=UTC)
AT = datetime(2025, 6, 1, tzinfo=UTC)
DAY = timedelta(days=1)
DEFAULT = policy_named("default")
ROWS: dict[str, dict[str, Any]] = {
    r["name"]: r for r in json.loads((VECTORS / "expected.json").read_text(encoding="utf-8"))
}
ALICE = "keys/alice.asc"
BOB = "keys/bob.pgp"


@dataclass(frozen=True)
class Signed:
    """A vector's signature as the engine sees it: the judge, the signer's view and key, and t."""

    judge: Judge
    view: CertView
    key: PublicKey
    made: datetime

    @property
    def is_primary(self) -> bool:
        return self.key is self.view.cert.primary


def _ring(*files: str) -> Keyring:
    return load_keyring([VECTORS / f for f in files])


def signed(
    name: str,
    *,
    keyring: tuple[str, ...] | None = None,
    policy: Policy = DEFAULT,
    at: datetime = AT,
) -> Signed:
    """The vector ``name``'s detached signature, its signer in the vector's keyring, and the judge."""
    row = ROWS[name]
    ring = _ring(*(row["cert"] if keyring is None else keyring))
    (sig,) = parse_signatures((VECTORS / row["signature"]).read_bytes())
    assert sig.created is not None
    cert, key = ring.candidates(sig.issuer_fingerprints, sig.issuer_key_ids)[0]
    judge = judge_for(ring, policy, at)
    return Signed(judge, judge.view(cert), key, sig.created)


def _cert(ring: Keyring, file: str) -> Cert:
    cert = ring.get(read_certs((VECTORS / file).read_bytes())[0].fingerprint)
    assert cert is not None
    return cert


# --------------------------------------------------------------------------------------------------
# A key's state at the signature's time: one row per rule, with the vector that breaks it.

KEY_STATES = [
    # (vector, status of the signing key at the signature's time, words of the reason)
    ("good-binary", "valid", None),
    ("good-signing-subkey", "valid", None),
    # Rule 1: the primary key existed when the signature was made.
    ("sig-older-than-key", "invalid", "was created"),
    # Rule 1: the key-size policy.
    ("rsa1024-key", "invalid", "too short"),
    # Rule 2: a binding that does not verify, or only a third party's, binds nothing.
    ("uid-selfsig-bad-signature", "invalid", "no valid self-signature"),
    ("uid-certified-only-by-third-party", "invalid", "no valid self-signature"),
    # Rule 2: a self-signature with a defect (malformed or repeated key-expiration subpacket).
    ("key-expiry-subpacket-3-octets", "invalid", "no valid self-signature"),
    ("key-expiry-subpacket-twice", "invalid", "no valid self-signature"),
    # Rule 2: the policy's hash cutoff for self-signatures, at their creation.
    ("sha1-selfsig-2022", "valid", None),
    ("sha1-selfsig-2024", "invalid", "no valid self-signature"),
    # Rule 3: expiry from the user ID binding, from a direct-key signature.
    ("key-expired-before-sig", "expired", "expired 2024-03-01"),
    ("direct-key-expired-before-sig", "expired", "expired 2024-03-01"),
    # Rule 4: hard reasons revoke for all times, soft ones from their date.
    ("revoked-hard-no-reason-t3-sig-t2", "revoked", "no reason given"),
    ("revoked-hard-unknown-200-t3-sig-t2", "revoked", "reason code 200"),
    ("revoked-soft-superseded-t1-sig-t2", "revoked", "superseded"),
    ("revoked-soft-retired-t3-sig-t2", "valid", None),
    # Rule 4: a revocation that does not verify, or by a key that is no designated revoker.
    ("revocation-bad-signature", "valid", None),
    ("revocation-by-unrelated-key", "valid", None),
    ("revoked-by-designated-revoker", "revoked", "compromised"),
    ("revoked-by-designated-revoker-key-id-only", "revoked", "compromised"),
    # Rule 4: a key revocation counts wherever it sits, even after a subkey pgpsig cannot parse.
    ("revocation-after-unknown-algorithm-subkey", "revoked", "compromised"),
    # Rule 5: the primary key signs only when the stating self-signatures grant Sign.
    ("primary-certify-only", "invalid", "not allowed to sign"),
    ("uid-selfsig-sign-flag-unhashed", "invalid", "not allowed to sign"),
    ("primary-uid-certify-only-newer-uid-signs", "invalid", "not allowed to sign"),
    # Rule 6: a subkey needs its own binding by the primary, the Sign flag, a back-signature.
    ("subkey-unbound", "invalid", "no valid binding"),
    ("subkey-grafted", "invalid", "no valid binding"),
    ("subkey-binding-bad-signature", "invalid", "no valid binding"),
    ("subkey-encrypt-only", "invalid", "not bound as a signing key"),
    ("subkey-no-backsig", "invalid", "back-signature"),
    ("subkey-backsig-by-other-key", "invalid", "back-signature"),
    ("subkey-expired-before-sig", "expired", "subkey"),
    ("subkey-revoked-hard-compromised-t3-sig-t2", "revoked", "subkey"),
    ("subkey-revoked-soft-superseded-t3-sig-t2", "valid", None),
    # Rule 6 and placement: a subkey revocation found under the user ID still revokes the subkey.
    ("subkey-revocation-under-user-id", "revoked", "subkey"),
]


@pytest.mark.parametrize(("name", "status", "words"), KEY_STATES, ids=[r[0] for r in KEY_STATES])
def test_signing_key_state_at_the_signature_time(name: str, status: str, words: str | None) -> None:
    s = signed(name)
    verdict = s.view.signing_key(s.key, s.made)
    assert verdict.status == status, verdict.reason
    if words is None:
        assert verdict.ok and verdict.reason is None and verdict.binding is not None
    else:
        assert verdict.reason is not None and words in verdict.reason
        assert verdict.error is not None and not verdict.ok


def test_verdicts_raise_the_typed_errors() -> None:
    """``check_signing_key`` raises what the verdict says: revoked, expired, unbound, policy."""
    cases = [
        ("revoked-hard-compromised-t1-sig-t2", KeyRevokedError),
        ("key-expired-before-sig", KeyExpiredError),
        ("subkey-no-backsig", UnboundKeyError),
        ("rsa1024-key", PolicyError),
    ]
    for name, error in cases:
        s = signed(name)
        with pytest.raises(error):
            s.view.check_signing_key(s.key, s.made)
    good = signed("good-signing-subkey")
    view = good.view.check_signing_key(good.key, good.made)
    assert view.key is good.key and view.binding.sig_type == SignatureType.SUBKEY_BINDING


# --------------------------------------------------------------------------------------------------
# Time: what is judged at t, what at the reference time.


def test_key_is_judged_at_the_signature_time_not_the_reference_time() -> None:
    s = signed("key-expires-between-sig-and-at")
    assert s.view.signing_key(s.key, s.made).ok
    later = s.view.primary_state(AT)
    assert later.status == "expired"
    assert s.view.primary_expiry(s.made) == T3


def test_expiry_is_the_earliest_across_components() -> None:
    """A newer direct-key signature without expiry does not cancel the user ID binding's."""
    s = signed("uid-expiry-t1-newer-direct-key-without-expiry")
    stating = s.view.stating_signatures(s.made)
    assert len(stating) == 2  # the newest direct-key signature and the user ID's binding
    assert s.view.primary_expiry(s.made) == T1
    assert signed("direct-key-expiry-t1-newer-uid-without-expiry").view.primary_expiry(T2) == T1


def test_within_one_component_the_newest_self_signature_replaces_older_ones() -> None:
    s = signed("uid-expiry-t1-extended-by-newer-self-sig")
    assert s.view.primary_expiry(T0 + DAY / 2) == T1  # only the first binding is in force yet
    assert s.view.primary_expiry(s.made) != T1
    assert s.view.signing_key(s.key, s.made).ok


def test_the_primary_user_id_states_the_expiry() -> None:
    """Marked primary: its binding speaks, not a newer binding of another user ID; unmarked: all."""
    s = signed("primary-uid-expiry-t1-other-uid-newer-without-expiry")
    stating = s.view.stating_signatures(s.made)
    assert [sig.primary_user_id for sig in stating] == [True]
    assert s.view.primary_expiry(s.made) == T1
    unmarked = signed("no-primary-uid-one-uid-expiry-t1")
    assert len(unmarked.view.stating_signatures(T2)) == 2
    assert unmarked.view.primary_expiry(T2) == T1


def test_key_flags_are_those_every_stating_signature_grants() -> None:
    s = signed("primary-certify-only")
    assert s.view.primary_flags(s.made) == KeyFlag.CERTIFY
    assert s.view.certifier(s.made).ok  # certify-only may certify
    assert not s.view.signing_key(s.key, s.made).ok
    mixed = signed("primary-uid-certify-only-newer-uid-signs")
    # Only the primary user ID's binding states the flags; the newer one granting Sign does not.
    assert [sig.primary_user_id for sig in mixed.view.stating_signatures(mixed.made)] == [True]
    assert mixed.view.primary_flags(mixed.made) == KeyFlag.CERTIFY


def _alice(*parts: bytes) -> CertView:
    """Alice's certificate made of ``parts`` by the vectors' own writer, judged on its own."""
    (cert,) = parse_certs(g.certificate(g.ALICE, *parts))
    return Judge.alone(cert, DEFAULT, AT)


def test_expiry_is_the_earliest_two_stating_signatures_give() -> None:
    """Direct-key and user ID binding both state an expiry (t1, t3): the earliest wins, either way."""
    for direct, uid in ((g.T3, g.T1), (g.T1, g.T3)):
        view = _alice(
            g.direct_key(g.ALICE, created=g.T0, hashed=[g.sp_key_expires(direct - g.T0)]),
            g.user_id(g.ALICE, g.ALICE_UID, key_expires=uid),
        )
        assert view.primary_expiry(T0 + DAY) == T1
        assert view.primary_state(T2).status == "expired"


def test_flags_are_what_every_stating_signature_grants() -> None:
    """The direct-key signature grants Certify only, the user ID binding Certify and Sign: no Sign."""
    view = _alice(
        g.direct_key(g.ALICE, created=g.T0, hashed=[g.sp_key_flags(g.FLAG_CERTIFY)]),
        g.user_id(g.ALICE, g.ALICE_UID, flags=g.FLAG_CERTIFY | g.FLAG_SIGN),
    )
    assert view.primary_flags(T2) == KeyFlag.CERTIFY
    assert view.signing_key(view.cert.primary, T2).status == "invalid"
    assert view.certifier(T2).ok


def test_a_primary_key_whose_self_signatures_are_all_later_gets_the_grace() -> None:
    """Rule 2's grace (gpg's, FreePBX's mirror key): the key existed at t, its only binding was made
    later (t1); the oldest binding is taken as in force from the key's creation."""
    view = _alice(g.user_id(g.ALICE, g.ALICE_UID, created=g.T1))
    binding, backdated = view.primary_binding(T0 + DAY)
    assert backdated and binding.created == T1
    assert view.primary_state(T0 + DAY).ok
    assert view.primary_binding(T2) == (binding, False)
    with pytest.raises(UnboundKeyError):
        view.primary_binding(T0 - DAY)  # before the key existed: no grace


def test_hard_revocation_is_retroactive_soft_only_from_its_date() -> None:
    hard = signed("revoked-hard-compromised-t3-sig-t2")
    (rev,) = hard.view.revocations()
    assert rev.hard and rev.code == RevocationReason.COMPROMISED and rev.created == T3
    assert hard.view.primary_state(T1).status == "revoked"  # before the revocation's own date
    soft = signed("revoked-soft-superseded-t3-sig-t2")
    (srev,) = soft.view.revocations()
    assert not srev.hard and srev.code == RevocationReason.SUPERSEDED
    assert soft.view.primary_state(T3 - DAY).ok
    assert soft.view.primary_state(T3 + DAY).status == "revoked"


def test_every_unknown_or_missing_reason_is_hard() -> None:
    for name, code in [
        ("revoked-hard-no-reason-t1-sig-t2", None),
        ("revoked-hard-unspecified-t1-sig-t2", RevocationReason.NO_REASON),
        ("revoked-hard-private-100-t1-sig-t2", 100),
        ("revoked-hard-unknown-200-t1-sig-t2", 200),
    ]:
        (rev,) = signed(name).view.revocations()
        assert rev.hard and rev.code == code, name
    (retired,) = signed("revoked-soft-retired-t1-sig-t2").view.revocations()
    assert not retired.hard and retired.reason_name == "retired"


def test_a_soft_revocation_made_after_the_reference_time_is_not_known_yet() -> None:
    """What is known at R counts: a retirement announced after R is not; a hard one always is."""
    soft = signed("revoked-soft-retired-after-at-sig-t2")
    assert soft.view.revocations() == []
    assert soft.view.primary_state(AT).ok
    later = signed("revoked-soft-retired-after-at-sig-t2", at=datetime(2025, 9, 2, tzinfo=UTC))
    (rev,) = later.view.revocations()
    assert not rev.hard
    assert later.view.signing_key(later.key, later.made).ok  # still: the signature came before
    hard = signed("revoked-hard-compromised-after-at-sig-t2")
    assert [r.hard for r in hard.view.revocations()] == [True]


def test_a_newer_self_signature_revalidates_a_soft_revocation() -> None:
    """Rule 4: a soft revocation made before the binding in force no longer applies."""
    (rev,) = signed("revoked-soft-superseded-t1-sig-t2").view.revocations()
    assert revocation_in_effect([rev], T1 + DAY, T2) is None
    assert revocation_in_effect([rev], T0, T2) is rev
    assert revocation_in_effect([rev], T0, T1 - DAY) is None  # not yet made
    hard = dataclasses.replace(rev, hard=True)
    assert revocation_in_effect([hard], T1 + DAY, T0) is hard


def test_designated_revoker_counts_only_when_its_certificate_is_in_the_keyring() -> None:
    alone = signed(
        "revoked-by-designated-revoker", keyring=(ROWS["revoked-by-designated-revoker"]["cert"][0],)
    )
    assert alone.view.revocations() == []
    assert alone.view.signing_key(alone.key, alone.made).ok
    with_bob = signed("revoked-by-designated-revoker")
    assert with_bob.view.signing_key(with_bob.key, with_bob.made).status == "revoked"
    # Judge.alone consults no keyring: the same certificate, judged on its own, is not revoked.
    assert Judge.alone(with_bob.view.cert, DEFAULT, AT).primary_state(T2).ok


def test_bad_or_foreign_revocations_are_not_revocations() -> None:
    assert signed("revocation-bad-signature").view.revocations() == []
    assert signed("revocation-by-unrelated-key").view.revocations() == []


def test_a_subkey_bound_later_gets_no_grace() -> None:
    s = signed("subkey-bound-after-sig")
    comp = next(c for c in s.view.cert.subkeys if c.key is s.key)
    with pytest.raises(UnboundKeyError):
        s.view.subkey_binding(comp, s.made)
    assert s.view.subkey_binding(comp, T3 + DAY).created == T3
    assert s.view.signing_key(s.key, T3 + DAY).ok


def test_a_signing_subkey_needs_the_back_signature_an_other_subkey_does_not() -> None:
    s = signed("subkey-no-backsig")
    comp = next(c for c in s.view.cert.subkeys if c.key is s.key)
    assert s.view.subkey_state(comp, s.made, signing=False).ok
    assert not s.view.subkey_state(comp, s.made, signing=True).ok
    enc = signed("subkey-encrypt-only")
    comp = next(c for c in enc.view.cert.subkeys if c.key is enc.key)
    assert enc.view.subkey_state(comp, enc.made, signing=False).ok
    assert enc.view.signing_key(enc.key, enc.made).status == "invalid"


def test_the_self_signature_hash_cutoff_follows_the_policy() -> None:
    """SHA-1 self-signatures made after the cutoff are refused; a policy that moves it accepts them."""
    later = dict(DEFAULT.hash_cutoffs)
    later[(SignatureKind.SELF, HashAlgorithm.SHA1)] = datetime(2030, 1, 1, tzinfo=UTC)
    lenient = dataclasses.replace(DEFAULT, name="test-sha1-self", hash_cutoffs=later)
    assert signed("sha1-selfsig-2024").view.self_signatures() == []
    s = signed("sha1-selfsig-2024", policy=lenient)
    assert len(s.view.self_signatures()) == 1
    assert s.view.signing_key(s.key, s.made).ok


def test_signing_keys_prefers_subkeys_then_the_primary() -> None:
    s = signed("good-signing-subkey")
    usable, problems = s.view.signing_keys(s.made)
    assert usable[0] is s.key and usable[-1] is s.view.cert.primary
    blocked = signed("subkey-no-backsig")
    usable, problems = blocked.view.signing_keys(blocked.made)
    assert blocked.key not in usable
    assert any("back-signature" in p for p in problems)


# --------------------------------------------------------------------------------------------------
# Third-party certifications (the attack corpus' keys; Alice certifies Bob's user ID).

CERTIFICATIONS = [
    # (Bob's certificate, the issuer's certificate or None, verdict)
    ("bob-certified-by-alice.pgp", ALICE, "valid"),
    ("bob-certified-by-alice.pgp", None, "unverified"),
    ("bob-certification-forged.pgp", ALICE, "bad"),
    ("bob-certification-expired.pgp", ALICE, "expired"),
    ("bob-certification-critical-unknown.pgp", ALICE, "malformed"),
    ("bob-certification-revoked.pgp", ALICE, "revoked"),
    ("bob-certification-revoked-in-direct-key-area.pgp", ALICE, "revoked"),
    ("bob-certified-user-id-without-self-signature.pgp", ALICE, "uid-invalid"),
    ("bob-certified-user-id-revoked-by-bob.pgp", ALICE, "uid-invalid"),
    # The issuer's own state: hard revocation at t3 reaches back to the t0 certification; an
    # expiry or a soft revocation after it does not (the root's state now is trust's rule f).
    ("bob-certified-by-alice.pgp", "attacks/keys/alice-revoked-hard-t3.pgp", "issuer-revoked"),
    ("bob-certified-by-alice.pgp", "attacks/keys/alice-revoked-soft-t3.pgp", "valid"),
    ("bob-certified-by-alice.pgp", "attacks/keys/alice-expired-t3.pgp", "valid"),
    ("bob-certified-by-mallory.pgp", "attacks/keys/mallory.pgp", "valid"),
]


def _certification(bob_file: str, issuer: str | None, at: datetime = AT) -> Any:
    files = [f"attacks/keys/{bob_file}", *([issuer] if issuer else [])]
    ring = _ring(*files)
    bob = _cert(ring, files[0])
    judge = judge_for(ring, DEFAULT, at)
    found = [
        (uid, sig)
        for uid in bob.uids
        for sig in uid.signatures
        if sig.sig_type in CERTIFICATION_TYPES and not sig.may_be_issued_by(bob.primary)
    ]
    assert len(found) == 1, found
    uid, sig = found[0]
    return judge.certification(bob, uid, sig)


@pytest.mark.parametrize(
    ("bob", "issuer", "status"),
    CERTIFICATIONS,
    ids=[
        f"{b[:-4]}-{(i or 'no-issuer').split('/')[-1].split('.')[0]}" for b, i, _ in CERTIFICATIONS
    ],
)
def test_certification_verdict(bob: str, issuer: str | None, status: str) -> None:
    verdict = _certification(bob, issuer)
    assert verdict.status == status, verdict.reason
    assert verdict.ok is (status == "valid")


def test_certification_is_judged_as_of_the_reference_time() -> None:
    """Before its expiry (t1) it counts; before its revocation (t1) is known it counts; before it
    was made it does not exist."""
    assert _certification("bob-certification-expired.pgp", ALICE, at=T1 - DAY).ok
    assert _certification("bob-certification-revoked.pgp", ALICE, at=T1 - DAY).ok
    assert _certification("bob-certified-by-alice.pgp", ALICE, at=T0 - DAY).status == "future"


def test_a_third_party_certification_revocation_does_not_revoke_the_key() -> None:
    s = signed("third-party-certification-revoked")
    assert s.view.signing_key(s.key, s.made).ok
    assert s.view.revocations() == []
    verdicts = [
        s.judge.certification(s.view.cert, uid, sig)
        for uid in s.view.cert.uids
        for sig in uid.signatures
        if sig.sig_type in CERTIFICATION_TYPES and not sig.may_be_issued_by(s.view.cert.primary)
    ]
    assert [v.status for v in verdicts] == ["revoked"]


# --------------------------------------------------------------------------------------------------
# The judge itself.


def test_the_judge_is_fixed_and_caches_one_view_per_certificate() -> None:
    ring = _ring(ALICE, BOB)
    judge = judge_for(ring, DEFAULT, AT)
    assert judge_for(ring, DEFAULT, AT, judge) is judge
    with pytest.raises(ValueError, match="another keyring"):
        judge_for(ring, DEFAULT, T3, judge)
    with pytest.raises(ValueError, match="timezone-aware"):
        Judge(DEFAULT, datetime(2025, 6, 1))
    with pytest.raises(AttributeError):
        judge.as_of = T3  # type: ignore[misc]
    alice = _cert(ring, ALICE)
    assert judge.view(alice) is judge.view(alice)
    assert judge.lookup(alice.fingerprint) is alice
