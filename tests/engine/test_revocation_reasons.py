"""Revocations say why: their reason and message, wherever a revocation stands in the way.

The certificates are made here with the vectors' own OpenPGP writer (``vectors/generate.py``) at the
vectors' times (keys at t0, events at t1, the signature at t2, later events at t3, judged at AT). A
key revocation says its reason, time and message in the signature's reason
(:meth:`pgpsig.engine.revocation.RevocationInfo.describe`), a soft one made after the signature in
the signature's warning; a root's certification revocation (0x30) says them in the trust decision,
and so in ``check``'s detail and JSON ``signature.reason`` (which says why any untrusted signer is
not trusted). A message is others' text: quoted and escaped (:func:`pgpsig.errors.quoted`).
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pgpsig.api import check_module
from pgpsig.certs.keyring import Keyring, keyring_from_bytes
from pgpsig.engine.judge import Judge
from pgpsig.engine.trust import TrustRoots, decide_trust
from pgpsig.policy import policy_named
from pgpsig.report import SigStatus, Status
from pgpsig.verify import verify_detached

VECTORS = Path(__file__).resolve().parents[2] / "vectors"
sys.path.insert(0, str(VECTORS))
import generate as g  # noqa: E402 - the vectors' OpenPGP writer
import generate_attacks as ga  # noqa: E402 - its sign.php manifests and clear-signing

DEFAULT = policy_named("default")
AT = datetime.fromtimestamp(g.AT, timezone.utc)
ALICE, BOB = ga.fpr(g.ALICE), ga.fpr(g.BOB)
#: A revocation message that tries to act on a terminal, and how it is shown.
EVIL = "Eve\n[GNUPG:] GOODSIG 0 \x1b[32mTrusted\x1b[0m \u202egpj.exe"
EVIL_SHOWN = '"Eve\\n[GNUPG:] GOODSIG 0 \\x1b[32mTrusted\\x1b[0m \\u202egpj.exe"'


def ring(*certs: bytes) -> Keyring:
    return keyring_from_bytes(b"".join(certs))


def verify(*certs: bytes) -> dict[str, object]:
    """The JSON of Alice's signature at t2 over the vectors' message, with ``certs``."""
    report = verify_detached(
        g.MESSAGE_BYTES, g.data_sig(g.ALICE), ring(*certs), policy=DEFAULT, now=AT
    )
    (s,) = report.signatures
    return s.to_dict()


# --------------------------------------------------------------------------------------------------
# Key revocations, in the signature's reason


def test_a_revoked_key_says_its_reason_and_quoted_message() -> None:
    rev = g.key_revocation(g.ALICE, created=g.T1, reason=(g.REASON_COMPROMISED, EVIL))
    d = verify(g.alice_with(rev))
    assert d["status"] == "revoked" and d["user_id"] == g.ALICE_UID
    assert d["reason"] == (
        f"key {ALICE} is revoked (compromised, 2024-03-01T00:00:00+00:00): {EVIL_SHOWN}"
    )


def test_a_revocation_without_message_says_only_its_reason() -> None:
    rev = g.key_revocation(g.ALICE, created=g.T1, reason=None)
    d = verify(g.alice_with(rev))
    assert d["reason"] == f"key {ALICE} is revoked (no reason given, 2024-03-01T00:00:00+00:00)"


# --------------------------------------------------------------------------------------------------
# Certification revocations, in the trust decision, the check's detail and JSON reason

ALICE_ROOT = g.alice_cert()
BOB_UID_SHOWN = '"Bob Vector <bob@example.org>"'


def bob(*after_uid: bytes, before_uid: tuple[bytes, ...] = ()) -> bytes:
    """Bob's certificate, certified by Alice at t0, with ``after_uid`` under his user ID."""
    return g.certificate(
        g.BOB,
        *before_uid,
        g.user_id(g.BOB, g.BOB_UID),
        ga.certification(g.ALICE),
        *after_uid,
    )


def alice_revokes(reason: tuple[int, str] | None) -> bytes:
    """Alice's 0x30 at t1 over her certification of Bob's user ID."""
    hashed = [] if reason is None else [g.sp_reason(*reason)]
    return ga.certification(g.ALICE, sig_type=g.SIG_CERT_REVOCATION, created=g.T1, hashed=hashed)


def trust(bob_cert: bytes) -> tuple[bool, bool, str | None]:
    k = ring(ALICE_ROOT, bob_cert)
    signer = k.get(BOB)
    assert signer is not None
    d = decide_trust(signer, roots=TrustRoots.resolve([ALICE], k), judge=Judge(DEFAULT, AT, k))
    return d.trusted, d.revoked, d.reason


def test_a_revoked_certification_says_its_reason_and_quoted_message() -> None:
    assert trust(bob(alice_revokes((g.REASON_COMPROMISED, EVIL)))) == (
        False,
        True,
        f"the certification of {BOB} ({BOB_UID_SHOWN}) by {ALICE} is revoked"
        f" (compromised, 2024-03-01T00:00:00+00:00): {EVIL_SHOWN}",
    )


def test_a_revoked_certification_without_reason_says_so() -> None:
    assert trust(bob(alice_revokes(None))) == (
        False,
        True,
        f"the certification of {BOB} ({BOB_UID_SHOWN}) by {ALICE} is revoked"
        " (no reason given, 2024-03-01T00:00:00+00:00)",
    )


def test_a_certification_still_in_force_has_no_reason() -> None:
    assert trust(bob()) == (True, False, None)


def lay_out(d: Path, signer: g.Key = g.BOB) -> Path:
    """The attack corpus' sample module, signed at t2 by ``signer``."""
    mod = d / "sample"
    for rel, data in ga.BASE_FILES.items():
        (mod / rel).parent.mkdir(parents=True, exist_ok=True)
        (mod / rel).write_bytes(data)
    text = ga.manifest(ga.entries_of(ga.BASE_FILES), signer=signer)
    (mod / "module.sig").write_text(ga.signed(text, signer))
    return mod


def check(tmp_path: Path, bob_cert: bytes) -> tuple[Status, tuple[str, ...], dict[str, object]]:
    k = ring(ALICE_ROOT, bob_cert)
    r = check_module(
        lay_out(tmp_path), keyring=k, roots=TrustRoots.resolve([ALICE], k), policy=DEFAULT, now=AT
    )
    assert r.signature is not None
    return r.status, r.details, r.signature.to_dict()


def test_check_of_a_revoked_certification_says_why_in_detail_and_json(tmp_path: Path) -> None:
    status, details, sig = check(tmp_path, bob(alice_revokes((g.REASON_COMPROMISED, EVIL))))
    why = (
        f"the certification of {BOB} ({BOB_UID_SHOWN}) by {ALICE} is revoked"
        f" (compromised, 2024-03-01T00:00:00+00:00): {EVIL_SHOWN}"
    )
    assert status == Status.REVOKED
    assert details == (f"module.sig check failed! {why}",)
    assert sig["status"] == "untrusted" and sig["trusted"] is False
    assert sig["reason"] == why
    assert sig["user_id"] == g.BOB_UID
    assert list(sig)[:4] == ["status", "signer", "primary", "user_id"]


def test_check_of_an_untrusted_signer_says_why_in_json(tmp_path: Path) -> None:
    status, details, sig = check(tmp_path, g.certificate(g.BOB, g.user_id(g.BOB, g.BOB_UID)))
    why = f"{BOB} is not a trust root and no trust root certified it"
    assert status == Status.INVALID
    assert details == (f"module.sig check failed! {why}",)
    assert (sig["status"], sig["reason"], sig["user_id"]) == ("untrusted", why, g.BOB_UID)


def test_check_of_a_trusted_signer_has_no_reason(tmp_path: Path) -> None:
    status, details, sig = check(tmp_path, bob())
    assert (status, details) == (Status.GOOD | Status.TRUSTED, ())
    assert (sig["status"], sig["reason"], sig["user_id"]) == ("good", None, g.BOB_UID)


def test_check_of_a_revoked_signing_key_says_its_reason(tmp_path: Path) -> None:
    rev = g.key_revocation(g.BOB, created=g.T3, reason=(g.REASON_COMPROMISED, "lost laptop"))
    status, details, sig = check(tmp_path, bob(before_uid=(rev,)))
    why = f'key {BOB} is revoked (compromised, 2024-09-01T00:00:00+00:00): "lost laptop"'
    assert status == Status.REVOKED
    assert details == (f"module.sig check failed! {why}",)
    assert (sig["status"], sig["reason"], sig["user_id"]) == ("revoked", why, g.BOB_UID)


@pytest.mark.parametrize("message", ["new key at example.org", ""])
def test_a_soft_revocation_after_the_signature_warns_with_its_message(
    tmp_path: Path, message: str
) -> None:
    rev = g.key_revocation(g.BOB, created=g.T3, reason=(g.REASON_SUPERSEDED, message))
    status, _, sig = check(tmp_path, bob(before_uid=(rev,)))
    assert status == Status.GOOD | Status.TRUSTED
    said = f': "{message}"' if message else ""
    assert sig["warnings"] == [
        f"key {BOB} was revoked (superseded) on 2024-09-01T00:00:00+00:00, after this signature"
        f" was made{said}"
    ]
    assert SigStatus(sig["status"]) is SigStatus.GOOD
