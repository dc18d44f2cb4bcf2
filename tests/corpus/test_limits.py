"""Resource limits: each one documented in docs/limits.md's table, enforced at its boundary, and cheap.

* Every row of docs/limits.md's "Resource limits" table names the constant the code enforces, and the
  values agree.
* At each limit the input is accepted, one past it is refused with a typed ``LimitError`` (or the
  documented status), never a traceback: armor, packets, certificates (flooding), subpackets,
  signatures per block, clear-signed lines and headers, manifests, module trees, link chains.
* A flooded certificate (19,999 forged signatures) is judged in bounded time; 20,001 packets are
  refused with a clear error, and in a keyring directory the rest still loads.
* Memory does not grow with the size of the signed data: ``pgpsig verify`` is measured (peak RSS of
  the process, from ``wait4``) on small and large clear-signed files, from a path and from stdin,
  and on a small and a large detached file.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from conftest import require_oracle
from pgpsig import verify, verify_inline
from pgpsig.certs import keyring
from pgpsig.engine import selfsig
from pgpsig.errors import LimitError, PgpsigError
from pgpsig.modules import evidence, manifest, tree
from pgpsig.openpgp import armor, clearsign, message, packets, runbudget, sha1sig
from pgpsig.openpgp.dearmor import ArmorReader
from pgpsig.policy import Policy
from pgpsig.sop import SopExit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "vectors"))
import generate as g  # noqa: E402 - the vectors' independent OpenPGP writer

Run = Callable[..., subprocess.CompletedProcess[bytes]]
MiB = 1024 * 1024
AT = g.AT_ISO
AT_TIME = datetime.fromisoformat(AT.replace("Z", "+00:00"))  # Python 3.10 reads no Z
ALICE_FPR = g.ALICE.fingerprint.hex().upper()

#: docs/limits.md table rows: (what, the value as written, the constant(s) it documents).
LIMITS: list[tuple[str, str, list[int]]] = [
    ("armored input (keys, signature files, `sop` messages)", "64 MiB", [armor.MAX_ARMOR_BYTES]),
    ("`--signature` file", "64 MiB", [armor.MAX_ARMOR_BYTES]),
    ("one packet", "16 MiB", [packets.MAX_PACKET_BYTES]),
    ("packets in one certificate", "20,000", [packets.MAX_PACKETS_PER_CERT]),
    (
        "subpackets in one signature, signatures in one block",
        "512",
        [packets.MAX_SUBPACKETS],
    ),
    ("signatures in one input, all its blocks together", "512", [verify.MAX_SIGNATURES_PER_FILE]),
    ("digests of one signed text", "16", [verify.MAX_DIGESTS]),
    ("SHA-1 digests of one signed text", "2", [verify.MAX_SHA1_DIGESTS]),
    ("clear-signed blocks hashed with SHA-1 in one input", "4", [verify.MAX_SHA1_BLOCKS]),
    ("keyring file", "256 MiB", [keyring.MAX_KEYRING_FILE_BYTES]),
    ("line of a clear-signed file", "16 MiB", [clearsign.MAX_LINE_BYTES]),
    ("header block of a clear-signed message", "64 KiB", [clearsign._MAX_HEADER_BYTES]),
    ("signature armor of a clear-signed message", "1 MiB", [1 << 20]),
    ("`module.sig`", "64 MiB", [evidence.MAX_SIG_BYTES]),
    (
        "manifest",
        "200,000 entries, 210,000 lines, 8,192 bytes per line",
        [manifest.MAX_ENTRIES, manifest.MAX_LINES, manifest.MAX_LINE],
    ),
    ("module tree", "64 directories deep, 200,000 files", [tree.MAX_DEPTH, tree.MAX_FILES]),
    ("symbolic links on one path", "40 (the kernel's limit)", [40]),
    ("compressed data of an inline-signed message", "1 GiB", [message.MAX_INLINE_BYTES]),
    (
        "hashing of an inline-signed message's data beyond one digest",
        "1 GiB",
        [verify_inline.MAX_EXTRA_HASHED],
    ),
    (
        "one-pass and signature packets of an inline-signed message",
        "1 MiB",
        [message.MAX_SIGNATURE_BYTES],
    ),
    ("SHA-1 signed data of one signature", "8 MiB", [sha1sig.MAX_DETECTED]),
    (
        "SHA-1 certificate data scanned in one run",
        "2 MiB",
        [sha1sig.MAX_CERT_SCANNED],
    ),
    ("packets of certificates read in one run", "100,000", [runbudget.MAX_CERT_PACKETS]),
    (
        "work of reading certificates and checking their signatures in one run",
        "4,000,000",
        [runbudget.MAX_WORK],
    ),
]


def _number(text: str) -> int:
    """``64 MiB`` -> 67108864, ``20,000`` -> 20000, ``64 KiB`` -> 65536."""
    m = re.fullmatch(r"([\d,]+)(?: (KiB|MiB|GiB))?", text.strip())
    assert m, text
    unit = {None: 1, "KiB": 1024, "MiB": MiB, "GiB": 1024 * MiB}[m.group(2)]
    return int(m.group(1).replace(",", "")) * unit


def test_the_table_documents_the_enforced_limits() -> None:
    readme = (ROOT / "docs" / "limits.md").read_text(encoding="utf-8")
    section = readme.split("## Resource limits", 1)[1].split("\n## ", 1)[0]
    rows = {
        cells[0]: cells[1]
        for line in section.splitlines()
        if line.startswith("| ") and not line.startswith("| what")
        for cells in [[c.strip() for c in line.strip("|").split("|")]]
    }
    for what, value, constants in LIMITS:
        assert what in rows, f"docs/limits.md's Resource limits table has no row {what!r}"
        assert rows[what].startswith(value), (what, rows[what], value)
        numbers = [_number(v) for v in re.findall(r"\d(?:[\d,]*\d)?(?: (?:KiB|MiB|GiB))?", value)]
        assert numbers == constants, (what, numbers, constants)
    assert clearsign.decode_stream.__kwdefaults__["max_signature_bytes"] == 1 << 20


# ----------------------------------------------------------------------------------------------
# Sizes and counts, at and one past each limit (in process: fast and precise).


def test_armor_size_limit() -> None:
    block = armor.encode("PGP SIGNATURE", b"x" * 1000)
    assert armor.decode(block, max_size=len(block)).data == b"x" * 1000
    with pytest.raises(LimitError):
        armor.decode(block, max_size=len(block) - 1)
    huge = b"-----BEGIN PGP SIGNATURE-----\n\n" + b"A" * armor.MAX_ARMOR_BYTES
    t = time.perf_counter()
    with pytest.raises(LimitError):
        armor.decode_all(huge)
    assert time.perf_counter() - t < 0.1, "refused before any work"
    reader = ArmorReader(io.BytesIO(huge))  # an armored SOP message: read until the limit
    with pytest.raises(LimitError):
        reader.read()


def test_signature_file_limit_in_the_cli(pgpsig: Run, tmp_path: Path) -> None:
    big = tmp_path / "big.sig"
    with big.open("wb") as fp:
        fp.truncate(armor.MAX_ARMOR_BYTES + 1)
    r = pgpsig(
        "verify",
        g.HERE / "data/message.txt",
        "--signature",
        big,
        "--keyring",
        g.HERE / "keys/alice.pgp",
        "--at",
        AT,
    )
    assert r.returncode == 2
    assert b"larger than 67108864 bytes" in r.stderr


def test_packet_size_limit() -> None:
    body = b"\x04" + b"\0" * (packets.MAX_PACKET_BYTES - 1)
    header = bytes([0xC0 | 17, 0xFF])  # user attribute: any body is fine for framing
    (p,) = packets.iter_packets(header + len(body).to_bytes(4, "big") + body)
    assert len(p.body) == packets.MAX_PACKET_BYTES
    body += b"\0"
    with pytest.raises(LimitError):
        list(packets.iter_packets(header + len(body).to_bytes(4, "big") + body))


def test_subpacket_and_signature_count_limits() -> None:
    def sig(n: int) -> bytes:
        return g.data_sig(g.ALICE, unhashed=[g.subpacket(g.SP_EXPERIMENTAL, b"")] * (n - 3))

    assert len(packets.parse_signatures(sig(packets.MAX_SUBPACKETS))[0].unhashed) == 510
    with pytest.raises(LimitError):
        packets.parse_signatures(sig(packets.MAX_SUBPACKETS + 1))
    one = g.data_sig(g.ALICE)
    assert len(packets.parse_signatures(one * packets.MAX_SUBPACKETS)) == packets.MAX_SUBPACKETS
    with pytest.raises(LimitError):
        packets.parse_signatures(one * (packets.MAX_SUBPACKETS + 1))


def test_clearsign_line_header_and_armor_limits() -> None:
    sig = g.armor("SIGNATURE", g.data_sig(g.ALICE))
    head = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n"
    at_limit = (head + "x" * clearsign.MAX_LINE_BYTES + "\n" + sig).encode()
    (block,) = clearsign.decode_all(at_limit)
    assert len(block.canonical) == clearsign.MAX_LINE_BYTES
    with pytest.raises(LimitError):
        clearsign.decode_all((head + "x" * (clearsign.MAX_LINE_BYTES + 1) + "\n" + sig).encode())
    headers = "Hash: SHA256\n" * (clearsign._MAX_HEADER_BYTES // 13 + 1)
    with pytest.raises(LimitError):
        clearsign.decode_all(f"-----BEGIN PGP SIGNED MESSAGE-----\n{headers}\ntext\n{sig}".encode())
    armored = g.armor("SIGNATURE", g.data_sig(g.ALICE) * 10000)  # > 1 MiB of armor
    with pytest.raises(LimitError):
        clearsign.decode_all((head + "text\n" + armored).encode())


def test_manifest_limits() -> None:
    head = "[config]\nversion=2\n[hashes]\n"
    digest = "0" * 64
    key = "a/" + "b" * (manifest.MAX_LINE - 3 - 66 - 2)
    line = f"{key} = {digest}"
    assert len(line) == manifest.MAX_LINE - 2
    assert manifest.parse(head + line + "\n").entries[0].path == key
    with pytest.raises(LimitError):
        manifest.parse(head + f"{key}bbb = {digest}\n")
    many = head + "".join(f"f{i} = {digest}\n" for i in range(manifest.MAX_ENTRIES + 1))
    with pytest.raises(LimitError, match="entries"):
        manifest.parse(many)
    t = time.perf_counter()
    with pytest.raises(LimitError, match="lines"):
        manifest.parse(head + "f = " + digest + "\n" * manifest.MAX_LINES)
    assert time.perf_counter() - t < 0.5, "blank lines are counted, not split"


def test_tree_depth_and_file_count_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ok = tmp_path / "ok"
    (ok / Path(*["d"] * tree.MAX_DEPTH)).mkdir(parents=True)
    (ok / Path(*["d"] * tree.MAX_DEPTH) / "f.php").write_bytes(b"x")
    assert tree.walk_module(ok).files == ("/".join(["d"] * tree.MAX_DEPTH) + "/f.php",)
    deep = tmp_path / "deep"
    (deep / Path(*["d"] * (tree.MAX_DEPTH + 1))).mkdir(parents=True)
    with pytest.raises(LimitError, match="deeper"):
        tree.walk_module(deep)
    monkeypatch.setattr(tree, "MAX_FILES", 10)
    many = tmp_path / "many"
    many.mkdir()
    for i in range(11):
        (many / f"f{i}.php").write_bytes(b"x")
    with pytest.raises(LimitError, match="more than 10 files"):
        tree.walk_module(many)


@pytest.mark.parametrize("hops", [40, 41])
def test_symlink_hops(tmp_path: Path, hops: int) -> None:
    module = tmp_path / "m"
    module.mkdir()
    (module / "real.php").write_bytes(b"x")
    for i in range(1, hops):
        (module / f"l{i}").symlink_to(f"l{i + 1}")
    (module / f"l{hops}").symlink_to("real.php")
    resolved = tree.resolve_inside(module, "l1")
    walked = tree.walk_module(module)
    if hops <= 40:
        assert resolved.path is not None and resolved.path.name == "real.php"
        assert "l1" in walked.files
    else:
        assert resolved.problem == "missing"
        assert "l1" in walked.loops and "l1" not in walked.files


def test_a_long_link_chain_costs_no_recursion(tmp_path: Path) -> None:
    """3,000 chained links: os.path.realpath recursed once per link (RecursionError)."""
    module = tmp_path / "m"
    module.mkdir()
    (module / "real.php").write_bytes(b"x")
    n = 3000
    for i in range(1, n):
        (module / f"l{i}").symlink_to(f"l{i + 1}")
    (module / f"l{n}").symlink_to("real.php")
    t = time.perf_counter()
    walked = tree.walk_module(module)
    assert tree.resolve_inside(module, "l1").problem == "missing"
    assert len(walked.loops) == n - 40
    assert time.perf_counter() - t < 5


# ----------------------------------------------------------------------------------------------
# Flooded certificates.


def flooded(n_forged: int, key: Any = g.ALICE, uid: str = g.ALICE_UID) -> bytes:
    """``key``'s certificate (Alice's) with ``n_forged`` forged self-signatures (issuer the key,
    bad signature bytes, right digest prefix: each one costs a full signature check)."""
    payload = key.hashed_form + g.uid_hashed_form(uid)
    forged = g.standard_sign(
        key, 0x13, payload, created=g.T0 + 60, hashed=[g.sp_key_flags(3)], corrupt=True
    )
    return g.certificate(key, g.user_id(key, uid) + forged * n_forged)


def flooded_keyring(certs: int) -> bytes:
    """A keyring of ``certs`` distinct certificates, each flooded at the limit."""
    keys = [g.ed25519_key(f"limits flood {i}") for i in range(certs)]
    n = packets.MAX_PACKETS_PER_CERT - 2  # + user ID + self-signature
    return b"".join(flooded(n, k, f"Flood {i} <f{i}@example.org>") for i, k in enumerate(keys))


def test_flooded_certificate_at_the_limit_is_still_judged(pgpsig: Run, tmp_path: Path) -> None:
    """19,999 forged Ed25519 self-signatures: each is checked (2.5 s measured, 2 cores), within
    the run's budget of work (3.7 of its 4 million units), so the certificate is judged and the
    good signature stays good. Its time is bounded by that budget (tests/openpgp/test_runbudget.py),
    not asserted here."""
    cert = tmp_path / "flooded.pgp"
    cert.write_bytes(flooded(packets.MAX_PACKETS_PER_CERT - 2))  # + user ID + self-signature
    assert len(packets.parse_certs(cert.read_bytes())[0].uids[0].signatures) == 19_999
    r = pgpsig(
        "verify",
        g.HERE / "data/message.txt",
        "--signature",
        g.HERE / "sig/good-binary.sig",
        "--keyring",
        cert,
        "--at",
        AT,
    )
    assert r.returncode == 0, r.stderr


def test_keyrings_of_flooded_certificates_stop_at_the_runs_budgets(
    pgpsig: Run, tmp_path: Path
) -> None:
    """Nothing bounded how many flooded certificates one file holds: ``key list`` of four took
    12.4 s, of forty (98 MB) 16 s and 1 GB, and a keyring file may be 256 MiB. A run reads at most
    100,000 packets of certificates and spends at most 4 million units of work (about 4 s) on
    reading them and checking their signatures; past either, the command fails in one line
    (measured: 4.2 s for four, 2.0 s and 250 MB for forty)."""
    path = tmp_path / "two.pgp"
    path.write_bytes(flooded_keyring(2))  # the first is judged, the second passes the work budget
    r = pgpsig("key", "list", "--keyring", path, "--at", AT)
    assert r.returncode == 2 and r.stdout == b""
    assert r.stderr.decode().splitlines() == [f"pgpsig: {runbudget.WORK_BUDGET_REASON}"]
    path.write_bytes(flooded_keyring(6))  # 120,000 packets
    r = pgpsig("key", "list", "--keyring", path, "--at", AT)
    assert r.returncode == 2 and r.stdout == b""
    assert r.stderr.decode().splitlines() == [f"pgpsig: {path}: {runbudget.PACKET_BUDGET_REASON}"]


def test_a_signer_past_the_work_budget_is_an_invalid_key() -> None:
    """A data signature whose signer's certificate the run cannot judge (its checks past the
    budget of work) is ``invalid-key`` with the reason, never good, and the input is no error."""
    from pgpsig.certs.keyring import keyring_from_bytes
    from pgpsig.openpgp import _crypto
    from pgpsig.report import SigStatus

    _crypto._hashed_prefix.cache_clear()
    data = b"signed\n"
    with runbudget.run_scope(
        work=200 * runbudget.check_cost(packets.parse_certs(flooded(0))[0].primary)
    ):
        ring = keyring_from_bytes(flooded(400))
        (r,) = verify.verify_detached(
            data, g.data_sig(g.ALICE, data), ring, policy=Policy(), now=AT_TIME
        ).signatures
    assert r.status is SigStatus.INVALID_KEY and r.reason == runbudget.WORK_BUDGET_REASON
    (r,) = verify.verify_detached(
        data,
        g.data_sig(g.ALICE, data),
        keyring_from_bytes(flooded(400)),
        policy=Policy(),
        now=AT_TIME,
    ).signatures
    assert r.status is SigStatus.GOOD  # outside a run: judged


def test_a_root_past_the_work_budget_leaves_the_signer_untrusted_not_an_error() -> None:
    """Deciding whether a good signer is trusted judges the root's certificate: past the run's
    budget of work there (a root flooded with forged self-signatures), the signer is not trusted,
    with the reason, and the check of the module goes on (the BudgetError ended the whole
    ``check``, exit 2, its JSON cut short)."""
    from pgpsig.certs.keyring import keyring_from_bytes
    from pgpsig.engine.trust import TrustRoots
    from pgpsig.openpgp import _crypto
    from pgpsig.report import SignatureResult, SigStatus

    _crypto._hashed_prefix.cache_clear()
    root, dev, dev_uid = g.ed25519_key("limits root"), g.ed25519_key("limits dev"), "Dev <d@e.org>"
    certified = g.certification(root, dev, dev_uid, sig_type=0x13, created=g.T1)
    data = flooded(400, root, "Root <r@e.org>") + g.certificate(
        dev, g.user_id(dev, dev_uid), certified
    )
    root_fpr, dev_fpr = (k.fingerprint.hex().upper() for k in (root, dev))
    good = SignatureResult(status=SigStatus.GOOD, signer=dev_fpr, primary=dev_fpr)

    def options() -> evidence.CheckOptions:
        ring = keyring_from_bytes(data)
        roots = TrustRoots(frozenset({root_fpr}))
        return evidence.CheckOptions(keyring=ring, roots=roots, policy=Policy(), now=AT_TIME)

    opts = options()
    with runbudget.run_scope(work=200 * runbudget.check_cost(opts.keyring.get(root_fpr).primary)):
        trust = evidence._judged(good, opts).trust
    assert trust is not None and not trust.trusted
    assert runbudget.WORK_BUDGET_REASON in (trust.reason or ""), trust.reason
    trust = evidence._judged(good, options()).trust  # outside a run: judged, and trusted
    assert trust is not None and trust.trusted, trust


def test_forged_user_id_revocations_cost_one_check_each(monkeypatch: pytest.MonkeyPatch) -> None:
    """A third party adds U bare user IDs and N forged user-ID revocations naming the owner (no
    secret key needed). Each forged revocation is tried over the component it sits under and the
    owner's *bound* user IDs only: N checks, not U x N (measured before: 400 x 4,000 took 12.9 s
    in ``verify``, 402,000 signature checks)."""
    from pgpsig.engine import view as validity  # the module whose verifies_over the views call
    from pgpsig.engine.judge import Judge
    from pgpsig.policy import Policy

    mallory = g.ed25519_key("limits mallory")
    u, n = 60, 300
    bare = [f"flood {i} <f{i}@example.org>" for i in range(u)]
    parts = [g.user_id(g.ALICE, g.ALICE_UID)]
    parts += [g.old_packet(g.TAG_USER_ID, b.encode()) for b in bare]
    parts += [
        g.sign(
            mallory,
            0x30,
            g.ALICE.hashed_form + g.uid_hashed_form(bare[i % u]),
            hashed=[g.sp_created(g.T0 + i), g.sp_issuer_fpr(g.ALICE)],
            unhashed=[g.sp_issuer(g.ALICE)],
        )
        for i in range(n)
    ]
    (cert,) = packets.parse_certs(g.certificate(g.ALICE, *parts))
    calls = 0
    real = validity.verifies_over

    def counting(*args: object) -> bool:
        nonlocal calls
        calls += 1
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(validity, "verifies_over", counting)
    view = Judge.alone(cert, Policy(), datetime.fromisoformat(AT.replace("Z", "+00:00")))
    assert view.primary_state(view.judge.as_of).ok
    assert 0 < calls <= n + 10, f"{calls} signature checks for {n} forged revocations"


def uat_cert(n_sigs: int, size: int, *, forged: bool = False) -> tuple[bytes, int]:
    """A certificate made in 2022 whose user attribute of ``size`` bytes carries ``n_sigs`` SHA-1
    self-signatures (each with a trailer of its own; ``forged``: that do not verify), and the
    bytes they are over but a trailer."""
    key = g.ALICE.at(g.T_OLD)
    image = b"\x10\x00\x01\x01" + bytes(12) + bytes(range(256)) * (size // 256)
    body = b"\xff" + (1 + len(image)).to_bytes(4, "big") + b"\x01" + image
    prefix = key.hashed_form + b"\xd1" + len(body).to_bytes(4, "big") + body
    h = hashlib.sha1(prefix)  # noqa: S324 - signing SHA-1 self-signatures
    sigs = [
        g.sign_hashed(
            key,
            0x13,
            h.copy(),
            hashed=[g.sp_created(g.T_OLD + 60 + i), g.sp_key_flags(3), g.sp_issuer_fpr(key)],
            unhashed=[g.sp_issuer(key)],
            hash_name="SHA1",
            corrupt=forged,
        )
        for i in range(n_sigs)
    ]
    uat = bytes([0xC0 | 17]) + g.new_length(len(body)) + body
    cert = g.certificate(key, g.user_id(key, g.ALICE_UID, created=g.T_OLD), uat, *sigs)
    return cert, len(prefix)


#: Most bytes the detector may compress for one signature after the data it shares with the
#: others: the last partial block of that data, the signature's trailer and the padding.
TAIL = 256


def test_many_sha1_self_signatures_over_a_long_user_attribute_scan_it_once(
    compressed: list[int],
) -> None:
    """512 SHA-1 self-signatures (made before 2023, so accepted and scanned for a collision
    attack) over one long user attribute: the attribute is hashed and scanned once, each
    signature then only its trailer. Measured on an 8 MiB attribute (2 cores, load 2): 512 such
    signatures take 3.3 s of CPU in ``key list`` (one scan); before, 3.5 s *each*."""
    cert_bytes, prefix = uat_cert(packets.MAX_SUBPACKETS, 256 << 10)
    [cert] = packets.parse_certs(cert_bytes)
    usable = selfsig.usable_self_signatures(cert, Policy())
    assert sum(1 for _, comp in usable if comp is cert.uats[0]) == packets.MAX_SUBPACKETS
    assert prefix <= sum(compressed) < prefix + packets.MAX_SUBPACKETS * TAIL


def test_forged_sha1_self_signatures_cost_no_scan(compressed: list[int]) -> None:
    """Anyone can add user attributes with forged SHA-1 self-signatures to a certificate: they
    are checked before their data is scanned, so they cost no scan at all."""
    cert_bytes, _ = uat_cert(8, 64 << 10, forged=True)
    [cert] = packets.parse_certs(cert_bytes)
    assert [comp for _, comp in selfsig.usable_self_signatures(cert, Policy())] == [cert.uids[0]]
    assert compressed == []


def uats_cert(sizes: list[int]) -> bytes:
    """A certificate made in 2022 with a distinct user attribute of each size, each with one
    genuine SHA-1 self-signature (accepted, so scanned for a collision attack)."""
    key = g.ALICE.at(g.T_OLD)
    parts = [g.user_id(key, g.ALICE_UID, created=g.T_OLD)]
    for n, size in enumerate(sizes):
        image = b"\x10\x00\x01\x01" + bytes(12) + bytes([n]) * size
        body = b"\xff" + (1 + len(image)).to_bytes(4, "big") + b"\x01" + image
        h = hashlib.sha1(key.hashed_form + b"\xd1" + len(body).to_bytes(4, "big") + body)  # noqa: S324 - signing
        hashed = [g.sp_created(g.T_OLD + 60 + n), g.sp_key_flags(3), g.sp_issuer_fpr(key)]
        sig = g.sign_hashed(
            key, 0x13, h, hashed=hashed, unhashed=[g.sp_issuer(key)], hash_name="SHA1"
        )
        parts += [bytes([0xC0 | 17]) + g.new_length(len(body)) + body, sig]
    return g.certificate(key, *parts)


def _bound_uats(cert_bytes: bytes) -> int:
    from pgpsig.openpgp import _crypto

    _crypto._hashed_prefix.cache_clear()  # no scan kept from an earlier judgement
    [cert] = packets.parse_certs(cert_bytes)
    usable = selfsig.usable_self_signatures(cert, Policy())
    return sum(1 for _, comp in usable if any(comp is u for u in cert.uats))


def test_sha1_certificate_scans_are_bounded_in_a_run(compressed: list[int]) -> None:
    """Each distinct user attribute that its owner self-signed with SHA-1 before 2023 is scanned
    for a collision attack (2.4 MB/s): a certificate of many (up to a keyring file's 256 MiB)
    cost 3.5 s for each 8 MiB. In a run (:func:`sha1sig.scan_budget`), the scans of certificate
    signatures compress at most ``MAX_CERT_SCANNED`` bytes; a signature that verifies past it
    leaves its certificate unjudged (LimitError), since neither counting nor dropping it is safe.
    Measured (2 cores): ``key list`` of ten such attributes of 1 MiB, 4.4 s before, 0.6 s with
    the budget; three of 7 MiB, 8.0 s before, 0.3 s."""
    size = 600 << 10
    cert = uats_cert([size] * 4)  # 2.3 MiB of distinct SHA-1 signed data
    assert _bound_uats(cert) == 4  # outside a run: every one scanned
    assert sum(compressed) > 4 * size
    compressed.clear()
    with sha1sig.scan_budget(), pytest.raises(LimitError, match="cannot be judged"):
        _bound_uats(cert)
    assert 3 * size < sum(compressed) <= sha1sig.MAX_CERT_SCANNED  # three scanned, not the fourth
    compressed.clear()
    with sha1sig.scan_budget(5 * size):
        assert _bound_uats(cert) == 4


def test_each_command_has_one_budget(compressed: list[int], tmp_path: Path, capsys: Any) -> None:
    """The CLI runs each command within one budget (``key list`` here, in process): past it, the
    command fails in one line (exit 2) instead of listing a certificate it could not judge."""
    from pgpsig.cli.app import dispatch
    from pgpsig.openpgp import _crypto

    _crypto._hashed_prefix.cache_clear()
    path = tmp_path / "uats.pgp"
    path.write_bytes(uats_cert([1 << 20] * 3))  # 3 MiB
    assert dispatch(["key", "list", "--keyring", str(path), "--at", AT]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "cannot be judged" in err and len(err.splitlines()) == 1
    assert (1 << 20) < sum(compressed) <= sha1sig.MAX_CERT_SCANNED
    path.write_bytes(uats_cert([1 << 20]))  # 1 MiB: within it
    assert dispatch(["key", "list", "--keyring", str(path), "--at", AT]) == 0
    assert "Alice" in capsys.readouterr().out


def test_the_sop_entry_point_has_one_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """``pgpsig-sop`` runs its command within one budget too (``pgpsig sop`` within the run's)."""
    from pgpsig.cli import app

    seen: list[object] = []

    def sop_app(**kwargs: object) -> int:
        seen.extend((sha1sig._budget.get(), runbudget._budget.get()))
        return 0

    monkeypatch.setattr(app, "typer_apps", lambda: {"sop": sop_app})
    assert app.run_sop(["version"]) == 0
    assert len(seen) == 2 and None not in seen
    assert sha1sig._budget.get() is None and runbudget._budget.get() is None  # only for it


@pytest.mark.parametrize("call", ["check_module", "verify_detached", "verify_clearsigned"])
def test_each_library_call_has_a_budget(
    call: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The library's entry points judge within a budget too (one a module for the check)."""
    import pgpsig
    from pgpsig import api
    from pgpsig.errors import FormatError

    seen: list[object] = []

    def spy(*args: object, **kwargs: object) -> object:
        seen.extend((sha1sig._budget.get(), runbudget._budget.get()))
        raise FormatError("stop")

    monkeypatch.setattr(api._verify, call.replace("check_module", "verify_clearsigned"), spy)
    monkeypatch.setattr(evidence, "verify_clearsigned", spy)
    ring = g.HERE / "keys/alice.pgp"
    if call == "check_module":
        (tmp_path / "module.sig").write_bytes(b"-----BEGIN PGP SIGNED MESSAGE-----\n")
        pgpsig.check_module(tmp_path, keyring=ring, roots=ring)
    else:
        with pytest.raises(FormatError, match="stop"):
            getattr(pgpsig, call)(b"data", *([b"sig"] if call == "verify_detached" else []), ring)
    assert len(seen) == 2 and None not in seen
    assert sha1sig._budget.get() is None and runbudget._budget.get() is None  # only for it


@pytest.mark.parametrize("call", ["load_keyring", "verify_detached", "verify_clearsigned"])
def test_a_keyring_the_library_reads_is_read_within_a_run(
    call: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A keyring path given to the library is read within a run too (it was read before the run
    began: a keyring file of 256 MiB is half a minute of parsing, a certificate of 20,000 key
    revocations by an RSA key with a long exponent minutes of checks)."""
    import pgpsig
    from pgpsig import api

    seen: list[object] = []

    def spy(*args: object, **kwargs: object) -> keyring.Keyring:
        seen.append(runbudget._budget.get())
        return keyring.Keyring()

    monkeypatch.setattr(api, "_load_keyring", spy)
    monkeypatch.setattr(api, "keyring_from_bytes", spy)

    def stop(*args: object, **kwargs: object) -> None:
        raise PgpsigError("stop")

    monkeypatch.setattr(api._verify, "verify_detached", stop)
    monkeypatch.setattr(api._verify, "verify_clearsigned", stop)
    ring = g.HERE / "keys/alice.pgp"
    if call == "load_keyring":
        pgpsig.load_keyring(ring)
        pgpsig.load_keyring(ring.read_bytes())
    else:
        with pytest.raises(PgpsigError, match="stop"):
            getattr(pgpsig, call)(b"data", *([b"sig"] if call == "verify_detached" else []), ring)
    assert seen and None not in seen
    assert runbudget._budget.get() is None


def test_a_revocation_past_the_budget_is_never_ignored(tmp_path: Path) -> None:
    """A certificate signature that its key verifies but whose scan would pass the run's budget
    leaves its certificate unjudged: counted unscanned, a collision could make it; dropped, a
    revocation would be lost. (A thief of a key revoked with SHA-1 adds user attributes
    self-signed with SHA-1 before 2023 that spend the budget before the revocation is checked:
    when the refused revocation was dropped, the stolen key's new signatures were good, and
    ``key import`` removed the revocation from the stored certificate.)"""
    from pgpsig.certs.keyring import load_keyring
    from pgpsig.keys.material import clean_cert
    from pgpsig.openpgp import _crypto
    from pgpsig.report import SigStatus

    key = g.ALICE.at(g.T_OLD)
    revocation = g.standard_sign(
        key,
        0x20,
        key.hashed_form,
        created=g.T1,
        hashed=[g.sp_reason(2, "stolen")],
        hash_name="SHA1",
    )
    data = b"made with the stolen key\n"
    sig = g.data_sig(key, data)
    at = AT_TIME

    def judged(cert: bytes, limit: int) -> tuple[str, int]:
        _crypto._hashed_prefix.cache_clear()
        path = tmp_path / "ring.pgp"
        path.write_bytes(cert)
        ring = load_keyring([path])
        with sha1sig.scan_budget(limit):
            budget = sha1sig._budget.get()
            assert budget is not None
            try:
                (r,) = verify.verify_detached(data, sig, ring, policy=Policy(), now=at).signatures
            except LimitError as e:
                return str(e), limit - budget.left
            return f"{r.status.value}: {r.reason}", limit - budget.left

    uats = uats_cert([600 << 10])
    status, spent = judged(uats, sha1sig.MAX_CERT_SCANNED)  # the attribute's scan, unrevoked
    assert status == "good: None"
    assert spent > 600 << 10
    cert = uats + revocation
    assert judged(cert, sha1sig.MAX_CERT_SCANNED)[0].startswith(SigStatus.REVOKED.value)
    status, _ = judged(cert, spent + 40)  # the revocation not scanned: the key is not judged
    assert status.startswith("invalid-key: ") and "cannot be judged" in status, status
    # key import (clean_cert) refuses the certificate rather than store it without it
    _crypto._hashed_prefix.cache_clear()
    [parsed] = packets.parse_certs(cert)
    with sha1sig.scan_budget(spent + 40), pytest.raises(LimitError, match="cannot be judged"):
        clean_cert(parsed)


def test_replayed_certificate_signatures_cost_nothing(compressed: list[int]) -> None:
    """Copies of a certificate's genuine SHA-1 self-signed user IDs (up to 20,000 packets) cost
    what one copy costs, whatever their order: three user IDs repeated 100 times charged 100 times
    theirs (one hash object of a prefix is kept for the next two), which for an RSA-4096 key
    (some 600 bytes a copy) spends the run's budget and leaves its subkey unbound."""
    from pgpsig.engine.judge import Judge

    key = g.ALICE.at(g.T_OLD)
    uids = [
        g.user_id(key, f"uid {n} <u{n}@example.org>", created=g.T_OLD, hash_name="SHA1")
        for n in range(3)
    ]

    def spent(reps: int) -> int:
        from pgpsig.openpgp import _crypto

        _crypto._hashed_prefix.cache_clear()
        ring = keyring.keyring_from_bytes(g.certificate(key, *(uids * reps)))
        [cert] = list(ring)
        with sha1sig.scan_budget():
            assert len(Judge(Policy(), AT_TIME, ring).view(cert).self_signatures()) == 3 * reps
            budget = sha1sig._budget.get()
            assert budget is not None
            return sha1sig.MAX_CERT_SCANNED - budget.left

    once = spent(1)
    scanned = sum(compressed)
    compressed.clear()
    assert spent(100) == once
    assert sum(compressed) == scanned  # nor scanned again


def test_a_user_attribute_dropped_at_import_is_named_in_a_bounded_note() -> None:
    """A user attribute whose self-signature does not verify (here: forged) is "a user
    attribute" in ``key import``'s notes, not the repr of its image: 3.2 MB printed for three of
    800 KiB. A user ID is quoted and bounded."""
    from pgpsig.keys.material import clean_cert

    [parsed] = packets.parse_certs(uat_cert(1, 100 << 10, forged=True)[0])
    cleaned, notes = clean_cert(parsed)
    assert cleaned is not None and not cleaned.uats
    assert notes == [
        "a self-signature on a user attribute does not verify",
        "a user attribute has no valid self-signature and was dropped",
    ]
    uid = "x" * 1000
    cert = g.certificate(
        g.ALICE, g.user_id(g.ALICE, g.ALICE_UID), g.user_id(g.ALICE, uid, corrupt=True)
    )
    cleaned, notes = clean_cert(packets.parse_certs(cert)[0])
    assert all(len(n) < 200 for n in notes) and len(notes) == 2, notes


def test_sha1_data_scans_of_one_input_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SHA-1 data signatures of one input scan :data:`~pgpsig.openpgp.sha1sig.MAX_DETECTED`
    bytes in all (here lowered to 1 MiB): a detached signature's binary and text signatures
    over 600 KiB are two distinct scans, so the second is bad; each input has its own budget.
    At 8 MiB, a detached signature (two digests) or a clear-signed input (four SHA-1 blocks)
    could cost up to eight scans of 8 MiB, some 30 s."""
    from pgpsig.certs.keyring import load_keyring
    from pgpsig.policy import policy_named
    from pgpsig.report import SigStatus

    monkeypatch.setattr(sha1sig, "MAX_DETECTED", 1 << 20)
    data = b"a line of the signed data\n" * ((600 << 10) // 26)  # 600 KiB
    binary = g.data_sig(g.ALICE, data, hash_name="SHA1")
    text = g.standard_sign(g.ALICE, g.SIG_TEXT, g.crlf(data), created=g.T2, hash_name="SHA1")
    ring = load_keyring([g.HERE / "keys" / "alice.pgp"])
    at = AT_TIME
    legacy = policy_named("freepbx-legacy")
    report = verify.verify_detached(data, binary + text, ring, policy=legacy, now=at)
    first, second = report.signatures
    assert first.status is SigStatus.GOOD, first.reason
    assert second.status is SigStatus.BAD and second.reason == sha1sig.INPUT_BUDGET_REASON
    for sig in (binary, text):  # one at a time: each input is scanned
        (alone,) = verify.verify_detached(data, sig, ring, policy=legacy, now=at).signatures
        assert alone.status is SigStatus.GOOD, alone.reason
    # Two SHA-1 blocks of one clear-signed input.
    texts = [data.decode(), data.decode().replace("signed", "SIGNED")]
    blocks = "".join(
        g.clearsigned(t, g.text_sig(g.ALICE, t, hash_name="SHA1"), headers=("Hash: SHA1",))
        for t in texts
    )
    report = verify.verify_clearsigned(blocks.encode(), ring, policy=legacy, now=at)
    assert [r.reason for r in report.signatures] == [None, sha1sig.INPUT_BUDGET_REASON]
    # The binary and text SHA-1 signatures of one inline-signed message (signatures first).
    inline = binary + text + g.old_packet(11, b"b\0" + bytes(4) + data)
    results = verify_inline.verify_inline(io.BytesIO(inline), ring, policy=legacy, now=at)
    assert [r.reason for _, r in results] == [None, sha1sig.INPUT_BUDGET_REASON]


def test_a_signer_past_the_budget_is_an_invalid_key_not_an_error() -> None:
    """A data signature whose signer's certificate the run cannot judge (its SHA-1 self-signed
    user ID past the budget) is ``invalid-key`` with the reason, and named without its user ID:
    the input is not an error (``check`` called its ``module.sig`` malformed)."""
    from pgpsig.certs.keyring import keyring_from_bytes
    from pgpsig.openpgp import _crypto
    from pgpsig.report import SigStatus

    _crypto._hashed_prefix.cache_clear()
    key = g.ALICE.at(g.T_OLD)
    ring = keyring_from_bytes(
        g.certificate(key, g.user_id(key, g.ALICE_UID, created=g.T_OLD, hash_name="SHA1"))
    )
    data = b"signed\n"
    with sha1sig.scan_budget(10):
        (r,) = verify.verify_detached(
            data, g.data_sig(key, data), ring, policy=Policy(), now=AT_TIME
        ).signatures
    assert r.status is SigStatus.INVALID_KEY and "cannot be judged" in (r.reason or "")
    assert r.primary == key.fingerprint.hex().upper() and r.user_id is None
    (r,) = verify.verify_detached(
        data, g.data_sig(key, data), ring, policy=Policy(), now=AT_TIME
    ).signatures
    assert r.status is SigStatus.GOOD and r.user_id == g.ALICE_UID  # no budget: judged


def test_a_signature_by_a_revoked_key_spends_no_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    """The data's collision scan runs last, once the signing key is known to be valid: a SHA-1
    signature by a revoked key spends nothing of the input's budget, so it cannot make a genuine
    signature of the same input bad (budget lowered to 1 MiB, data of 600 KiB)."""
    from pgpsig.certs.keyring import keyring_from_bytes
    from pgpsig.policy import policy_named
    from pgpsig.report import SigStatus

    monkeypatch.setattr(sha1sig, "MAX_DETECTED", 1 << 20)
    revoked = g.ALICE.at(g.T_OLD)
    revocation = g.standard_sign(
        revoked, 0x20, revoked.hashed_form, created=g.T1, hashed=[g.sp_reason(2, "stolen")]
    )
    ring = keyring_from_bytes(
        g.certificate(revoked, g.user_id(revoked, g.ALICE_UID, created=g.T_OLD), revocation)
        + (g.HERE / "keys" / "bob.pgp").read_bytes()
    )
    data = b"a line of the signed data\n" * ((600 << 10) // 26)
    first = g.data_sig(revoked, data, hash_name="SHA1")
    second = g.standard_sign(g.BOB, g.SIG_TEXT, g.crlf(data), created=g.T2, hash_name="SHA1")
    legacy, at = policy_named("freepbx-legacy"), AT_TIME
    report = verify.verify_detached(data, first + second, ring, policy=legacy, now=at)
    assert [r.status for r in report.signatures] == [SigStatus.REVOKED, SigStatus.GOOD], [
        r.reason for r in report.signatures
    ]


def test_flooded_certificate_over_the_limit_is_refused(pgpsig: Run, tmp_path: Path) -> None:
    data = flooded(packets.MAX_PACKETS_PER_CERT)
    with pytest.raises(LimitError, match="flooded"):
        packets.parse_certs(data)
    cert = tmp_path / "flooded.pgp"
    cert.write_bytes(data)
    t = time.perf_counter()
    r = pgpsig(
        "verify",
        g.HERE / "data/message.txt",
        "--signature",
        g.HERE / "sig/good-binary.sig",
        "--keyring",
        cert,
        "--at",
        AT,
    )
    assert r.returncode == 2
    assert b"flooded" in r.stderr and b"Traceback" not in r.stderr
    assert time.perf_counter() - t < 10
    # In a keyring directory the flooded file is skipped (with a warning), the rest still loads.
    ring = tmp_path / "ring"
    ring.mkdir()
    (ring / "flooded.pgp").write_bytes(data)
    (ring / "bob.pgp").write_bytes((g.HERE / "keys/bob.pgp").read_bytes())
    sig = tmp_path / "bob.sig"
    sig.write_bytes(g.data_sig(g.BOB))
    r = pgpsig(
        "verify", g.HERE / "data/message.txt", "--signature", sig, "--keyring", ring, "--at", AT
    )
    assert r.returncode == 0, r.stderr
    assert b"warning: skipped" in r.stderr and b"flooded" in r.stderr


# ----------------------------------------------------------------------------------------------
# Memory independent of the size of the signed data.


#: Runs the CLI like ``python -m pgpsig`` and, at exit, writes the process's own peak resident
#: set (VmHWM) to stderr. ``wait4``'s ``ru_maxrss`` cannot be used: Linux carries the high-water
#: mark across fork and exec, so a child of a large pytest process reports the parent's size.
PEAK_WRAPPER = """
import atexit, runpy, sys
def report():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            sys.stderr.write("PEAK " + line.split()[1] + "\\n")
atexit.register(report)
sys.argv = ["pgpsig", *sys.argv[1:]]
runpy.run_module("pgpsig", run_name="__main__")
"""


def peak_rss(args: list[str | Path], stdin: Path | None = None) -> tuple[int, int]:
    """Run the CLI with ARGS; (exit code, peak resident set in KiB)."""
    code, peak, _ = measured_run([sys.executable, "-c", PEAK_WRAPPER, *map(str, args)], stdin)
    return code, peak


def measured_run(argv: list[str], stdin: Path | bytes | None = None) -> tuple[int, int, str]:
    """Run ``argv``: (exit code, peak resident set in KiB or 0, SHA-256 of what it wrote).

    The peak is what :data:`PEAK_WRAPPER` reports on stderr (0 for another program). stdin is a
    file (seekable), bytes (written into a pipe) or nothing; stdout is hashed as it comes.
    """
    if not Path("/proc/self/status").is_file():
        pytest.skip("needs /proc/self/status (Linux) to measure peak memory")
    env = dict(os.environ, PGPSIG_HOME=str(ROOT / ".no-such-store"))
    out = hashlib.sha256()
    with contextlib.ExitStack() as stack:
        fin: Any = subprocess.PIPE
        if isinstance(stdin, Path):
            fin = stack.enter_context(stdin.open("rb"))
        elif stdin is None:
            fin = stack.enter_context(open(os.devnull, "rb"))  # noqa: SIM115
        with tempfile.TemporaryFile() as err_file:
            proc = subprocess.Popen(
                argv, stdin=fin, stdout=subprocess.PIPE, stderr=err_file, env=env
            )
            if isinstance(stdin, bytes):
                feeder = threading.Thread(target=_feed, args=(proc.stdin, stdin))
                feeder.start()
            assert proc.stdout is not None
            while chunk := proc.stdout.read(1 << 20):
                out.update(chunk)
            code = proc.wait(timeout=300)
            if isinstance(stdin, bytes):
                feeder.join()
            err_file.seek(0)
            err = err_file.read()
    assert b"Traceback" not in err, err
    peak = re.search(rb"^PEAK (\d+)$", err, re.MULTILINE)
    assert peak or argv[0] != sys.executable, err
    return code, int(peak.group(1)) if peak else 0, out.hexdigest()


def _feed(pipe: Any, data: bytes) -> None:
    with contextlib.suppress(BrokenPipeError):
        pipe.write(data)
    pipe.close()


def clear_signed(path: Path, size: int) -> None:
    """A clear-signed file of about ``size`` bytes of 100-byte lines, signed by Alice."""
    line = b"x" * 99 + b"\n"
    text = line * (size // len(line))
    canonical = text[:-1].replace(b"\n", b"\r\n")
    sig = g.sign(
        g.ALICE, g.SIG_TEXT, canonical, hashed=[g.sp_created(g.T2), g.sp_issuer_fpr(g.ALICE)]
    )
    with path.open("wb") as fp:
        fp.write(b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n")
        fp.write(text)
        fp.write(g.armor("SIGNATURE", sig).encode())


@pytest.mark.slow
def test_memory_does_not_grow_with_the_signed_data(tmp_path: Path) -> None:
    ring = g.HERE / "keys/alice.asc"
    small, large = tmp_path / "small.asc", tmp_path / "large.asc"
    clear_signed(small, 4 * MiB)
    clear_signed(large, 96 * MiB)
    base = ["verify", "--keyring", ring, "--at", AT]
    code_s, rss_s = peak_rss([*base[:1], small, *base[1:]])
    code_l, rss_l = peak_rss([*base[:1], large, *base[1:]])
    code_in, rss_in = peak_rss([*base[:1], "-", *base[1:]], stdin=large)
    assert (code_s, code_l, code_in) == (0, 0, 0)
    # Detached: a 512 MiB sparse file, hashed as it streams by.
    data = tmp_path / "data.bin"
    with data.open("wb") as fp:
        fp.truncate(512 * MiB)
    head = bytes([4, 0, g.PK_EDDSA, 8])
    hashed = g.sp_created(g.T2) + g.sp_issuer_fpr(g.ALICE)
    head += len(hashed).to_bytes(2, "big") + hashed
    h = hashlib.sha256()
    with data.open("rb") as fp:
        while chunk := fp.read(8 * MiB):
            h.update(chunk)
    h.update(head + b"\x04\xff" + len(head).to_bytes(4, "big"))
    digest = h.digest()
    body = head + b"\0\0" + digest[:2] + g.ALICE.sign_digest(digest, "SHA256")
    sig = tmp_path / "data.sig"
    sig.write_bytes(g.old_packet(g.TAG_SIGNATURE, body))
    code_d, rss_d = peak_rss(["verify", data, "--signature", sig, "--keyring", ring, "--at", AT])
    assert code_d == 0
    print(
        f"peak RSS: 4 MiB clear-signed {rss_s} KiB, 96 MiB {rss_l} KiB, 96 MiB from stdin "
        f"{rss_in} KiB, 512 MiB detached {rss_d} KiB"
    )
    for rss in (rss_l, rss_in, rss_d):
        assert rss < rss_s + 32 * 1024, (rss_s, rss_l, rss_in, rss_d)


# ----------------------------------------------------------------------------------------------
# Inline-signed messages (SOP): streamed, whatever they expand to.


def _zeros_digest(size: int) -> str:
    h = hashlib.sha256()
    zeros = bytes(MiB)
    for _ in range(size // MiB):
        h.update(zeros)
    h.update(bytes(size % MiB))
    return h.hexdigest()


def _inline_verify_both(bomb: Path | bytes) -> tuple[tuple[int, str], tuple[int, str], int]:
    """``inline-verify`` of ``bomb`` (a file, or bytes through a pipe) by pgpsig and by sqop:
    (pgpsig's exit code and output digest, sqop's, pgpsig's peak resident set in KiB)."""
    cert = str(g.HERE / "keys/alice.pgp")
    code, peak, out = measured_run(
        [sys.executable, "-c", PEAK_WRAPPER, "sop", "inline-verify", cert], bomb
    )
    sqop = require_oracle("sqop")
    sq_code, _, sq_out = measured_run([sqop, "inline-verify", cert], bomb)
    return (code, out), (sq_code, sq_out), peak


def test_inline_verify_streams_a_bzip2_bomb(tmp_path: Path) -> None:
    """336 octets expanding to 87.5 MiB: verified and written out, never held whole (issue #16).

    The message from a file, through a pipe (spooled) and armored; pgpsig's peak memory stays
    under the size of the data (before issue #16 it held it three times: 313 MB), and its answer
    and output are sqop's.
    """
    path, blocks = g.BOMBS[0]
    bomb = g.HERE / path
    zeros = blocks * g.BZ2_ZEROS_PER_BLOCK
    armored = tmp_path / "bomb.asc"
    armored.write_text(g.armor("MESSAGE", bomb.read_bytes()))
    expected = (0, _zeros_digest(zeros))
    for source in (bomb, bomb.read_bytes(), armored):
        ours, theirs, peak = _inline_verify_both(source)
        assert theirs == expected
        assert ours == expected, source
        assert peak * 1024 < zeros, f"peak {peak} KiB: the data was held whole"


@pytest.mark.slow
def test_inline_verify_of_the_issue_16_bomb_in_bounded_memory() -> None:
    """909 octets expanding to 875 MiB, under the 1 GiB limit: sqop's answer, in < 500 MB."""
    path, blocks = g.BOMBS[1]
    _small_ours, _small_theirs, small_peak = _inline_verify_both(g.HERE / g.BOMBS[0][0])
    ours, theirs, peak = _inline_verify_both(g.HERE / path)
    expected = (0, _zeros_digest(blocks * g.BZ2_ZEROS_PER_BLOCK))
    assert theirs == expected
    assert ours == expected
    print(f"peak RSS of inline-verify: 87.5 MiB bomb {small_peak} KiB, 875 MiB bomb {peak} KiB")
    assert peak * 1024 <= 500 * 10**6
    assert peak < small_peak + 32 * 1024, (small_peak, peak)


def test_inline_verify_decodes_armor_as_it_reads_it(tmp_path: Path) -> None:
    """An armored message of 32 MiB (24 MiB of data) is dearmored a chunk at a time into the
    reader of binary messages: about the memory of its binary form (when the armor was decoded
    whole: 190 MB), sqop's answer and output. A CRC24 that does not match, found at the end of
    the armor, and armor cut short are refused with nothing written (sqop ignores the CRC24, as
    RFC 9580 section 6.1 lets it; pgpsig's armor rule is that a checksum present must match)."""
    data = random.Random(24).randbytes(24 * MiB)
    ops = g.old_packet(4, bytes([3, 0, 8, g.ALICE.algorithm]) + g.ALICE.key_id + b"\x01")
    msg = ops + g.old_packet(11, b"b\0" + bytes(4) + data) + g.data_sig(g.ALICE, data)
    binary, armored = tmp_path / "msg.pgp", tmp_path / "msg.asc"
    binary.write_bytes(msg)
    crc = armor.crc24(msg).to_bytes(3, "big")
    text = g.armor("MESSAGE", msg, crc=False).encode()
    crc_at = text.index(b"-----END")
    armored.write_bytes(text[:crc_at] + b"=" + base64.b64encode(crc) + b"\n" + text[crc_at:])
    good = (0, hashlib.sha256(data).hexdigest())
    ours, theirs, binary_peak = _inline_verify_both(binary)
    assert ours == theirs == good
    ours, theirs, armored_peak = _inline_verify_both(armored)
    assert ours == theirs == good
    print(f"peak RSS of inline-verify: binary {binary_peak} KiB, armored {armored_peak} KiB")
    assert armored_peak < binary_peak + 16 * 1024, (binary_peak, armored_peak)
    refused = (SopExit.BAD_DATA.value, hashlib.sha256(b"").hexdigest())
    bad_crc = tmp_path / "bad-crc.asc"
    bad_crc.write_bytes(armored.read_bytes().replace(b"=" + base64.b64encode(crc), b"=AAAA"))
    cut = tmp_path / "cut.asc"
    cut.write_bytes(armored.read_bytes()[: -len(b"-----END PGP MESSAGE-----\n")])
    for bad in (bad_crc, cut):
        ours, _, _ = _inline_verify_both(bad)
        assert ours == refused, bad.name


def test_inline_verify_limits_at_their_boundary(monkeypatch: pytest.MonkeyPatch) -> None:
    """The expansion limit and the signature-octet limit: at each accepted, one past it refused."""
    import zlib

    from pgpsig import sop

    data = b"x" * 10_000
    sig = g.data_sig(g.ALICE, data)
    ops = g.old_packet(4, bytes([3, 0, 8, g.ALICE.algorithm]) + g.ALICE.key_id + b"\x01")
    inner = ops + g.old_packet(11, b"b\0" + bytes(4) + data) + sig
    msg = g.old_packet(8, b"\x02" + zlib.compress(inner))
    certs = [(g.HERE / "keys/alice.pgp").read_bytes()]
    now = datetime(2025, 6, 1, tzinfo=timezone.utc)
    signature_octets = len(ops) - 2 + len(sig) - 2  # the bodies, without their 2-octet headers
    for constant, at_limit in (
        ("MAX_INLINE_BYTES", len(inner)),
        ("MAX_SIGNATURE_BYTES", signature_octets),
    ):
        monkeypatch.setattr(message, constant, at_limit)
        out, (found,) = sop.inline_verify(msg, certs, now=now)
        assert (out, found.mode) == (data, "binary")
        monkeypatch.setattr(message, constant, at_limit - 1)
        with pytest.raises(sop.SopError) as e:
            sop.inline_verify(msg, certs, now=now)
        assert e.value.code is sop.SopExit.BAD_DATA
        assert isinstance(e.value.__cause__, LimitError)
        monkeypatch.undo()


def test_typed_errors_only_at_the_limits() -> None:
    """Every refusal above is a PgpsigError: nothing untyped escapes at a boundary."""
    for bad in (b"\xff" * 10, b"\xc2\xff\xff\xff\xff\xff", b"\x88\x05"):
        with pytest.raises(PgpsigError):
            packets.parse_signatures(bad)
