"""The run's budgets of certificate packets read and signature checks (pgpsig.openpgp.runbudget).

* Each algorithm's check is charged its measured cost, costlier keys more.
* Within a run, packets read and checks made are charged; past a budget, LimitError, nothing is
  charged, and the certificate is never judged with a signature left unchecked.
* A forgery the cheap tests reject (digest prefix) costs nothing; outside a run nothing is charged;
  a nested scope keeps the outer budget; each thread has its own.
"""

from __future__ import annotations

import dataclasses
import sys
import threading
from datetime import datetime
from pathlib import Path

import pytest

from pgpsig.engine import selfsig
from pgpsig.errors import LimitError
from pgpsig.openpgp import _crypto, packets, runbudget
from pgpsig.openpgp.ids import PublicKeyAlgorithm as Alg
from pgpsig.policy import Policy

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "vectors"))
import generate as g  # noqa: E402 - the vectors' independent OpenPGP writer


def flooded(n_forged: int) -> bytes:
    """Alice's certificate with ``n_forged`` forged self-signatures naming her (right digest
    prefix, bad signature bytes: each one costs a full check)."""
    payload = g.ALICE.hashed_form + g.uid_hashed_form(g.ALICE_UID)
    forged = g.standard_sign(
        g.ALICE, 0x13, payload, created=g.T0 + 60, hashed=[g.sp_key_flags(3)], corrupt=True
    )
    return g.certificate(g.ALICE, g.user_id(g.ALICE, g.ALICE_UID) + forged * n_forged)


ALICE = packets.parse_certs(g.certificate(g.ALICE, g.user_id(g.ALICE, g.ALICE_UID)))[0].primary
ROB = packets.parse_certs(g.certificate(g.ROB, g.user_id(g.ROB, g.ROB_UID)))[0].primary
ERIN = packets.parse_certs(g.certificate(g.ERIN, g.user_id(g.ERIN, g.ERIN_UID)))[0].primary


def _judge(cert_bytes: bytes) -> int:
    """Usable self-signatures of the certificate (every signature naming its key is checked)."""
    (cert,) = packets.parse_certs(cert_bytes)
    return len(selfsig.usable_self_signatures(cert, Policy()))


def _left() -> tuple[int, int]:
    budget = runbudget._budget.get()
    assert budget is not None
    return budget.work, budget.packets


def test_each_algorithm_is_charged_its_cost() -> None:
    cost = runbudget.check_cost
    rsa4096 = dataclasses.replace(ROB, bits=4096)
    rsa16384 = dataclasses.replace(ROB, bits=16384)
    p521 = dataclasses.replace(ERIN, curve="P-521")
    bp512 = dataclasses.replace(ERIN, curve="brainpoolP512r1")
    dsa3072 = dataclasses.replace(ROB, algorithm=Alg.DSA, bits=3072)
    unknown = dataclasses.replace(ERIN, curve="oid:2a03")
    assert ROB.bits == 2048 and ALICE.algorithm in (Alg.EDDSA_LEGACY, Alg.ED25519)
    assert cost(ROB) < cost(ERIN) < cost(ALICE) < cost(p521) < cost(bp512)
    assert cost(ROB) < cost(rsa4096) < cost(rsa16384) and cost(rsa16384) >= 16 * (cost(ROB) - 30)
    assert cost(dsa3072) > cost(p521)
    assert cost(unknown) == cost(bp512)  # an unknown curve: the costliest known


def test_an_rsa_key_is_charged_for_its_exponent() -> None:
    """A check is one exponentiation by the public exponent: a 64-bit one costs about four times
    65537's, and a 3000-bit one on RSA-3072 (OpenSSL takes it; the keyring is read before any
    policy refuses it) 5.9 ms, where 65537's cost 0.05 ms. Charged as 65537, a certificate of
    20,000 forged key revocations by such a key took minutes under the 4 s budget."""
    cost = runbudget.check_cost
    n = ROB.params[0]
    assert ROB.params[1] == 65537
    rsa3072 = dataclasses.replace(ROB, bits=3072)
    huge_e = dataclasses.replace(rsa3072, params=(n, (1 << 3000) + 1))
    e64 = dataclasses.replace(rsa3072, params=(n, (1 << 64) - 1))
    base = runbudget._OVERHEAD  # the same for every key
    assert cost(e64) - base >= 3 * (cost(rsa3072) - base)
    assert cost(huge_e) - base >= 100 * (cost(rsa3072) - base)
    assert cost(dataclasses.replace(ROB, params=(n, 3))) == cost(ROB)  # shorter: no discount


def test_checks_are_charged_and_refused_past_the_budget() -> None:
    """A certificate of 50 forged self-signatures costs its 52 packets read and 50 checks; with
    less left, the run cannot judge it (LimitError) instead of judging it on what it checked."""
    data = flooded(50)
    need = 53 * runbudget.PACKET_COST + 51 * runbudget.check_cost(ALICE)  # + the genuine one
    _crypto._hashed_prefix.cache_clear()
    with runbudget.run_scope(work=need):
        assert _judge(data) == 1
        assert _left()[0] == 0
    with (
        runbudget.run_scope(work=need - 1),
        pytest.raises(LimitError, match="cannot be judged") as e,
    ):
        _judge(data)
    assert str(e.value) == runbudget.WORK_BUDGET_REASON
    assert _judge(data) == 1  # outside a run: nothing charged, judged


def test_packets_are_charged_and_refused_past_the_budget() -> None:
    data = flooded(8)  # key, user ID, 1 + 8 signatures: 11 packets
    with runbudget.run_scope(packets=11):
        packets.parse_certs(data)
        assert _left()[1] == 0
    with runbudget.run_scope(packets=10), pytest.raises(LimitError) as e:
        packets.parse_certs(data)
    assert str(e.value) == runbudget.PACKET_BUDGET_REASON
    with runbudget.run_scope(work=10 * runbudget.PACKET_COST), pytest.raises(LimitError) as e:
        packets.parse_certs(data)  # reading costs work too
    assert str(e.value) == runbudget.WORK_BUDGET_REASON


def test_a_forgery_the_cheap_tests_reject_costs_nothing() -> None:
    """A signature whose digest prefix does not match is refused before any public-key check,
    and is not charged."""
    (cert,) = packets.parse_certs(flooded(1))
    uid = cert.uids[0]
    genuine, forged = uid.signatures
    prefix = cert.primary.hash_prefix() + uid.hash_prefix()
    wrong = dataclasses.replace(forged, left16=bytes(b ^ 0xFF for b in forged.left16))
    with runbudget.run_scope(work=1000):
        assert not _crypto.verifies_over(wrong, cert.primary, prefix)
        assert _left()[0] == 1000
        assert not _crypto.verifies_over(forged, cert.primary, prefix)
        assert _crypto.verifies_over(genuine, cert.primary, prefix)
        assert _left()[0] == 1000 - 2 * runbudget.check_cost(cert.primary)


def test_one_budget_a_run_and_each_thread_its_own() -> None:
    assert runbudget._budget.get() is None
    runbudget.charge_check(ALICE)  # outside a run: nothing to charge, nothing raised
    with runbudget.run_scope(work=1000, packets=5):
        outer = runbudget._budget.get()
        with runbudget.run_scope():  # nested: the outer one holds
            assert runbudget._budget.get() is outer
            runbudget.charge_packet()
        assert _left() == (1000 - runbudget.PACKET_COST, 4)
        seen: list[object] = []
        t = threading.Thread(target=lambda: seen.append(runbudget._budget.get()))
        t.start()
        t.join()
        assert seen == [None]
    assert runbudget._budget.get() is None


def test_a_spent_budget_never_skips_a_file(tmp_path: Path) -> None:
    """A file of a keyring directory (or of the store) that cannot be parsed is skipped, so that
    one corrupt file does not hide the rest; one the run has no budget left to read is not
    corrupt, and skipping it could hide a revocation that another file's key needs: the load
    fails instead."""
    from pgpsig.certs.keyring import load_keyring
    from pgpsig.certs.store import Store
    from pgpsig.errors import BudgetError

    ring_dir = tmp_path / "ring"
    ring_dir.mkdir()
    (ring_dir / "a.pgp").write_bytes(flooded(3))  # 6 packets
    (ring_dir / "b.pgp").write_bytes(g.certificate(g.BOB, g.user_id(g.BOB, g.BOB_UID)))
    (ring_dir / "c.pgp").write_bytes(b"\x99 not a key")  # corrupt: skipped
    assert len(load_keyring(ring_dir).problems) == 1
    with runbudget.run_scope(packets=8), pytest.raises(BudgetError):
        load_keyring(ring_dir)  # b.pgp is past the budget: not skipped
    store = Store.at(tmp_path / "home")
    with store.locked():
        store.write_cert(packets.parse_certs(flooded(3))[0])
    assert store.load().problems == []
    with runbudget.run_scope(packets=5), pytest.raises(BudgetError):
        store.load()


# The judge's loops: asked once per certification, over the signatures of another kind.

VICTIM = g.ed25519_key("runbudget victim")
AT_TIME = datetime.fromisoformat(g.AT_ISO.replace("Z", "+00:00"))
VICTIM_UID = "Victim <victim@example.org>"


def _certified(count: int, *, revocations: int = 0) -> bytes:
    """The victim's certificate: ``count`` genuine certifications by Alice (each made a second
    after the last) and ``revocations`` forged certification revocations by her, made after them
    all, whose digest prefix does not match (free of any check)."""
    payload = VICTIM.hashed_form + g.uid_hashed_form(VICTIM_UID)
    sigs = b"".join(
        g.standard_sign(g.ALICE, 0x10, payload, created=g.T0 + 1000 + i) for i in range(count)
    )
    if revocations:
        forged = g.standard_sign(g.ALICE, 0x30, payload, created=g.T0 + 9000, corrupt=True)
        (p,) = packets.parse_certs(g.certificate(VICTIM, forged))[0].direct
        body = bytearray(p.raw)
        start = 6 + len(p.hashed_area)  # then the unhashed area's length, the area, the prefix
        body[start + 2 + int.from_bytes(body[start : start + 2], "big")] ^= 0xFF
        sigs += g.old_packet(2, bytes(body)) * revocations
    return g.certificate(VICTIM, g.user_id(VICTIM, VICTIM_UID) + sigs)


def _listed_cost(ring_bytes: bytes) -> int:
    """The work ``key list`` of ``ring_bytes`` spends, its keyring read."""
    from pgpsig.certs.keyring import keyring_from_bytes
    from pgpsig.keys.listing import list_keys

    _crypto._hashed_prefix.cache_clear()
    with runbudget.run_scope():
        start = _left()[0]
        list_keys(keyring_from_bytes(ring_bytes), now=AT_TIME, policy=Policy())
        return start - _left()[0]


def test_self_signatures_in_force_at_each_certification_are_charged() -> None:
    """Each certification asks which of its issuer's self-signatures were in force when it was
    made: 2,000 certifications by a key with 2,000 self-signatures (each checked once, 0.7
    million units) took 59 s to list. Each look at a self-signature is charged."""
    n = 100
    payload = g.ALICE.hashed_form + g.uid_hashed_form(g.ALICE_UID)
    selfs = b"".join(
        g.standard_sign(g.ALICE, 0x13, payload, created=g.T0 + 10 + i, hashed=[g.sp_key_flags(3)])
        for i in range(n)
    )
    alice = g.certificate(g.ALICE, g.user_id(g.ALICE, g.ALICE_UID) + selfs)
    assert _listed_cost(alice + _certified(n)) >= n * n * runbudget.VISIT_COST


def test_certification_revocations_of_each_certification_are_charged() -> None:
    """Each certification looks for its issuer's revocation of it among all the certificate's
    certification revocations: 4,000 certifications and 4,000 forged revocations (free: their
    digest prefix is wrong) took 30 s to list. Each look is charged, and the revocations are
    found once."""
    n = 100
    alice = g.certificate(g.ALICE, g.user_id(g.ALICE, g.ALICE_UID))
    assert _listed_cost(alice + _certified(n, revocations=n)) >= n * n * runbudget.VISIT_COST


def test_certification_revocations_are_found_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not searched for again at each certification: a certificate of 15,000 genuine
    certifications took 7.9 s to list, 4.2 s of it the searches (uncharged, 2.6 million units
    spent on its checks)."""
    from pgpsig.engine import view

    calls: list[object] = []

    def counted(cert: packets.Cert, sig_types: object) -> list[packets.Signature]:
        calls.append(sig_types)
        return selfsig.placed_anywhere(cert, sig_types)  # type: ignore[arg-type]

    monkeypatch.setattr(view, "placed_anywhere", counted)
    alice = g.certificate(g.ALICE, g.user_id(g.ALICE, g.ALICE_UID))
    _listed_cost(alice + _certified(50))
    assert 0 < len(calls) <= 10


def test_a_spent_budget_is_no_damaged_feed(tmp_path: Path) -> None:
    """A feed in force that the run has no budget left to read is not a damaged store (a
    KeyringError, which callers take for one): the budget's error goes through, as from the
    store's and a keyring directory's files."""
    from pgpsig.certs import feeds
    from pgpsig.certs.keyring import Keyring
    from pgpsig.errors import BudgetError

    content = g.certificate(g.BOB, g.user_id(g.BOB, g.BOB_UID))
    body = g.data_sig(g.ALICE, content)[2:]  # an old-format packet: a feed's is new-format
    signature = b"\xc2" + g.new_length(len(body)) + body
    (tmp_path / f"{ALICE.fingerprint}.pgp").write_bytes(feeds.feed_message(content, signature))
    assert len(feeds.add_applied(Keyring(), tmp_path)) == 1
    with runbudget.run_scope(packets=1), pytest.raises(BudgetError) as e:
        feeds.add_applied(Keyring(), tmp_path)
    assert str(e.value) == runbudget.PACKET_BUDGET_REASON


def test_a_key_file_of_armor_blocks_is_read_as_it_is_decoded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each block is read once decoded, so the run's budget stops a file of tiny blocks: a 100
    MB file of one-key blocks was decoded whole first (over 2 minutes), now refused in 3 s."""
    from pgpsig.certs.keyfile import read_key_file
    from pgpsig.errors import BudgetError
    from pgpsig.openpgp import armor

    decoded: list[int] = []
    parse = armor._parse_block

    def counted(data: bytes, begin: int, line: int) -> tuple[armor.ArmorBlock, int]:
        decoded.append(begin)
        return parse(data, begin, line)

    monkeypatch.setattr(armor, "_parse_block", counted)
    text = armor.encode("PGP PUBLIC KEY BLOCK", g.ALICE.primary_packet()) * 20
    assert len(read_key_file(text).certs) == 20 and len(decoded) == 20
    decoded.clear()
    with runbudget.run_scope(packets=3), pytest.raises(BudgetError):
        read_key_file(text)
    assert len(decoded) == 4
