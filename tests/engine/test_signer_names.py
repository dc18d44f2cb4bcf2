"""Who signed, by name: the user ID that names a signer's certificate at the signature's time.

The certificates are made here with the vectors' own OpenPGP writer (``vectors/generate.py``) at the
vectors' times (keys at t0, events at t1, the signature at t2, later events at t3, judged at AT).
:meth:`pgpsig.engine.view.CertView.primary_user_id` gives the user ID that names a certificate at a
time: the flagged primary user ID, else the newest-bound; never one revoked then, never one without
a valid self-signature; None without any. Every result of
:func:`pgpsig.engine.signatures.judge_signature` that names a certificate carries it, whatever the
verdict (``user_id``, in the JSON right after ``primary``), as its owner wrote it.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pgpsig.certs.keyfile import read_certs
from pgpsig.certs.keyring import Keyring, keyring_from_bytes
from pgpsig.engine.judge import Judge
from pgpsig.policy import policy_named
from pgpsig.verify import verify_detached

VECTORS = Path(__file__).resolve().parents[2] / "vectors"
sys.path.insert(0, str(VECTORS))
import generate as g  # noqa: E402 - the vectors' OpenPGP writer
import generate_attacks as ga  # noqa: E402 - the fingerprints it writes

UTC = timezone.utc
DEFAULT = policy_named("default")
T0, T2 = (datetime.fromtimestamp(t, UTC) for t in (g.T0, g.T2))
AT = datetime.fromtimestamp(g.AT, UTC)
ALICE = ga.fpr(g.ALICE)
UID, UID2 = g.ALICE_UID, g.ALICE_UID2
PRIMARY = g.subpacket(g.SP_PRIMARY_UID, b"\x01")
#: A user ID that tries to act on a terminal (the engine keeps it; the CLI escapes it).
EVIL = "Eve\n[GNUPG:] GOODSIG 0 \x1b[32mTrusted\x1b[0m \u202egpj.exe"


def ring(*certs: bytes) -> Keyring:
    return keyring_from_bytes(b"".join(certs))


def uid_at(at: datetime, *parts: bytes) -> str | None:
    """The user ID naming Alice's certificate made of ``parts``, at ``at``."""
    (cert,) = read_certs(g.certificate(g.ALICE, *parts))
    found = Judge.alone(cert, DEFAULT, AT).primary_user_id(at)
    return None if found is None else found.uid


def owner_revokes(uid: str, created: int) -> bytes:
    """Alice's own 0x30 over ``uid`` (the user ID is no longer hers)."""
    return g.standard_sign(
        g.ALICE,
        g.SIG_CERT_REVOCATION,
        g.ALICE.hashed_form + g.uid_hashed_form(uid),
        created=created,
        hashed=[g.sp_reason(32, "left")],
    )


# --------------------------------------------------------------------------------------------------
# The user ID that names a certificate at a time


def test_the_only_user_id() -> None:
    assert uid_at(T2, g.user_id(g.ALICE, UID)) == UID


def test_the_flagged_primary_user_id_wins_over_a_newer_binding() -> None:
    parts = (
        g.user_id(g.ALICE, UID, created=g.T1),
        g.user_id(g.ALICE, UID2, extra_hashed=[PRIMARY]),
    )
    assert uid_at(T2, *parts) == UID2


def test_without_a_flag_the_newest_binding_names_it_once_made() -> None:
    parts = (g.user_id(g.ALICE, UID), g.user_id(g.ALICE, UID2, created=g.T1))
    assert uid_at(T2, *parts) == UID2
    assert uid_at(T0 + timedelta(days=1), *parts) == UID  # the second was not bound yet


def test_a_user_id_revoked_by_its_owner_names_it_only_before() -> None:
    parts = (
        g.user_id(g.ALICE, UID),
        g.user_id(g.ALICE, UID2, extra_hashed=[PRIMARY]),
        owner_revokes(UID2, g.T1),
    )
    assert uid_at(T2, *parts) == UID
    assert uid_at(T0 + timedelta(days=1), *parts) == UID2


def test_a_user_id_without_a_valid_self_signature_never_names_it() -> None:
    parts = (
        g.user_id(g.ALICE, UID),
        g.user_id(g.ALICE, "Mallory <forged@example.org>", extra_hashed=[PRIMARY], corrupt=True),
        g.old_packet(g.TAG_USER_ID, b"Bare <no-self-signature@example.org>"),
    )
    assert uid_at(T2, *parts) == UID


def test_no_user_id_names_a_certificate_bound_by_a_direct_key_signature_only() -> None:
    direct = g.direct_key(g.ALICE, created=g.T0, hashed=[g.sp_key_flags(g.FLAG_SIGN)])
    assert uid_at(T2, direct) is None


def test_a_binding_made_later_names_it_from_the_key_creation() -> None:
    # gpg's grace (rule 2 of the view): the only binding was made at t3, the key existed at t2.
    assert uid_at(T2, g.user_id(g.ALICE, UID, created=g.T3)) == UID


def test_a_user_id_is_kept_as_its_owner_wrote_it() -> None:
    (cert,) = read_certs(g.certificate(g.ALICE, g.user_id(g.ALICE, EVIL)))
    found = Judge.alone(cert, DEFAULT, AT).primary_user_id(T2)
    assert found is not None and found.uid == EVIL


# --------------------------------------------------------------------------------------------------
# Every result that names the signer's certificate names it by its user ID


def verify(*certs: bytes, sig: bytes | None = None) -> dict[str, object]:
    report = verify_detached(
        g.MESSAGE_BYTES, sig or g.data_sig(g.ALICE), ring(*certs), policy=DEFAULT, now=AT
    )
    (s,) = report.signatures
    return s.to_dict()


def test_a_good_signature_names_its_user_id_right_after_primary() -> None:
    d = verify(g.alice_cert())
    assert d["status"] == "good" and d["user_id"] == UID
    assert list(d) == [
        "status",
        "signer",
        "primary",
        "user_id",
        "created",
        "hash_algorithm",
        "reason",
        "warnings",
        "block",
    ]


def test_a_subkey_signature_names_its_certificate_user_id() -> None:
    cert = g.alice_cert(g.subkey(g.ALICE, g.ALICE_SUB))
    d = verify(cert, sig=g.data_sig(g.ALICE_SUB))
    assert d["status"] == "good"
    assert (d["signer"], d["primary"], d["user_id"]) == (ga.fpr(g.ALICE_SUB), ALICE, UID)


def test_an_unknown_signer_has_no_user_id() -> None:
    d = verify(g.certificate(g.BOB, g.user_id(g.BOB, g.BOB_UID)))
    assert d["status"] == "unknown-key"
    assert d["primary"] is None and d["user_id"] is None


def test_a_signer_without_user_id_has_none() -> None:
    direct = g.direct_key(g.ALICE, created=g.T0, hashed=[g.sp_key_flags(g.FLAG_SIGN)])
    d = verify(g.certificate(g.ALICE, direct))
    assert d["status"] == "good" and d["primary"] == ALICE and d["user_id"] is None


def test_a_failed_signature_by_a_known_certificate_names_it_too() -> None:
    d = verify(g.alice_cert(), sig=g.data_sig(g.ALICE, corrupt=True))
    assert d["status"] == "bad" and d["user_id"] == UID
