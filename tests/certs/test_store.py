"""The certificate store: atomic writes, the lock, concurrent importers, crashes, corrupt files.

Certificates are made fast and reproducibly: Ed25519 keys from fixed seeds
(:func:`make_cert`), certifications made directly with the signing primitives. Two processes
importing 500 certificates each at once must lose nothing (the shared half must end up with both
processes' certifications); a process killed in the middle of a write must leave a store that
loads; a corrupt file is reported and the rest of the store loads.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from conftest import ROOT, run_pgpsig
from pgpsig.certs.keyring import cert_to_bytes, load_keyring, read_certs
from pgpsig.certs.store import Store, atomic_write
from pgpsig.errors import KeyringError
from pgpsig.keys import generate_key, import_keys
from pgpsig.openpgp import armor
from pgpsig.openpgp.signing import signature_packet
from pgpsig.openpgp.signingkey import make_signing_key

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


def seeded(label: str) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(
        hashlib.sha256(b"pgpsig store test: " + label.encode()).digest()
    )


def make_cert(label: str, *, when: datetime = T0) -> bytes:
    """An armored certificate for ``label`` (deterministic: same label, same bytes)."""
    key = generate_key(f"{label} <{label}@example.org>", now=when, private_keys=[seeded(label)])
    return key.certificate


def certified(cert: bytes, by: str, *, when: datetime = T0 + timedelta(days=1)) -> bytes:
    """``cert`` with a 0x10 certification by the seeded key ``by`` over its first user ID."""
    c = read_certs(cert)[0]
    master = make_signing_key(seeded(by), created=T0)
    uid = c.uids[0]
    sig = signature_packet(
        master,
        c.primary.hash_prefix() + uid.hash_prefix(),
        sig_type=0x10,
        created=when,
        hash_name="SHA512",
    )
    return armor.encode("PGP PUBLIC KEY BLOCK", cert_to_bytes(c) + sig)


# --------------------------------------------------------------------------------------------------
# Atomic writes and the lock


def test_atomic_write_replaces_whole_file_and_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "f.asc"
    atomic_write(target, b"one")
    atomic_write(target, b"two", mode=0o600)
    assert target.read_bytes() == b"two"
    assert target.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["f.asc"]


def test_atomic_write_error_is_typed(tmp_path: Path) -> None:
    with pytest.raises(KeyringError, match="cannot write"):
        atomic_write(tmp_path / "missing-dir" / "f.asc", b"x")


def test_writes_need_the_lock(tmp_path: Path) -> None:
    store = Store.at(tmp_path)
    cert = read_certs(make_cert("alice"))[0]
    with pytest.raises(KeyringError, match="locked"):
        store.write_cert(cert)
    with store.locked():
        path = store.write_cert(cert, comment="alice <alice@example.org>")
        with pytest.raises(KeyringError, match="already held"), store.locked():
            pass
    assert path == tmp_path / "certs" / f"{cert.fingerprint}.asc"
    assert b"Comment: alice <alice@example.org>" in path.read_bytes()
    assert list(store.load().certs) == [cert.fingerprint]


def test_store_files_are_a_keyring_directory(tmp_path: Path) -> None:
    """``check``/``verify`` read ``certs/`` with the ordinary keyring loader."""
    store = Store.at(tmp_path)
    report = import_keys(store, [("a", make_cert("alice")), ("b", make_cert("bob"))])
    assert report.ok
    ring = load_keyring([tmp_path / "certs"])
    assert not ring.problems
    assert len(ring) == 2


def test_lock_serialises_writers(tmp_path: Path) -> None:
    """A second process waits for the lock: its import starts only after the first one ends."""
    store = Store.at(tmp_path)
    script = (
        "import sys, time; from pathlib import Path; from pgpsig.certs.store import Store\n"
        "s = Store.at(Path(sys.argv[1]))\n"
        "with s.locked():\n"
        "    print('locked', flush=True); time.sleep(1.5)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    start = time.monotonic()
    import_keys(store, [("a", make_cert("alice"))])
    waited = time.monotonic() - start
    holder.wait(timeout=30)
    assert waited > 0.5, f"the import did not wait for the lock ({waited:.2f} s)"
    assert len(store.load()) == 1


# --------------------------------------------------------------------------------------------------
# Two processes importing 500 certificates each, at once

N_EACH = 500
N_SHARED = 250


def _write_batch(directory: Path, labels: list[str], certifier: str | None) -> None:
    directory.mkdir()
    for label in labels:
        data = make_cert(label)
        if certifier is not None:
            data = certified(data, certifier)
        (directory / f"{label}.asc").write_bytes(data)


@pytest.mark.slow
def test_two_processes_import_500_certificates_each_and_lose_none(tmp_path: Path) -> None:
    shared = [f"shared{i:03d}" for i in range(N_SHARED)]
    only_a = [f"a{i:03d}" for i in range(N_EACH - N_SHARED)]
    only_b = [f"b{i:03d}" for i in range(N_EACH - N_SHARED)]
    # Process A brings the shared certificates certified by master-a, B certified by master-b:
    # after both, each shared certificate must carry both certifications.
    _write_batch(tmp_path / "in-a", only_a, None)
    _write_batch(tmp_path / "in-b", only_b, None)
    for label in shared:
        (tmp_path / "in-a" / f"{label}.asc").write_bytes(certified(make_cert(label), "master-a"))
        (tmp_path / "in-b" / f"{label}.asc").write_bytes(certified(make_cert(label), "master-b"))
    home = tmp_path / "home"
    env = {**os.environ, "PGPSIG_HOME": str(home)}
    start = time.monotonic()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "pgpsig", "key", "import", str(tmp_path / d), "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        for d in ("in-a", "in-b")
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    elapsed = time.monotonic() - start
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err.decode()
        assert b"Traceback" not in err
        doc = json.loads(out)
        assert len(doc["imported"]) == N_EACH
        assert {i["status"] for i in doc["imported"]} <= {"new", "updated"}
    store = Store.at(home)
    ring = store.load()
    assert not ring.problems
    assert len(ring) == N_EACH * 2 - N_SHARED
    masters = {
        make_signing_key(seeded(m), created=T0).fingerprint for m in ("master-a", "master-b")
    }
    for cert in ring:
        label = cert.uids[0].uid.split(" ")[0]
        issuers = {f for s in cert.uids[0].signatures for f in s.issuer_fingerprints}
        if label.startswith("shared"):
            assert masters <= issuers, label
    assert not [p for p in (home / "certs").iterdir() if not p.name.endswith(".asc")]
    print(f"\n2 x {N_EACH} certificates imported concurrently in {elapsed:.2f} s")


# --------------------------------------------------------------------------------------------------
# Crashes


_KILL_IN_FSYNC = """
import os, signal, sys
from pathlib import Path
import pgpsig.certs.store as store_mod
from pgpsig.keys import import_keys
real = os.fsync
def fsync(fd):
    real(fd)
    os.kill(os.getpid(), signal.SIGKILL)  # killed after the data, before the rename
store_mod.os.fsync = fsync
import_keys(store_mod.Store.at(Path(sys.argv[1])), [("x", Path(sys.argv[2]).read_bytes())])
"""


def test_killed_during_a_write_leaves_a_store_that_loads(tmp_path: Path) -> None:
    store = Store.at(tmp_path / "home")
    import_keys(store, [("alice", make_cert("alice"))])
    fpr = read_certs(make_cert("alice"))[0].fingerprint
    before = store.cert_path(fpr).read_bytes()
    update = tmp_path / "update.asc"
    update.write_bytes(certified(make_cert("alice"), "master-a"))
    r = subprocess.run(
        [sys.executable, "-c", _KILL_IN_FSYNC, str(tmp_path / "home"), str(update)],
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert r.returncode == -signal.SIGKILL
    stray = [p for p in (tmp_path / "home" / "certs").iterdir() if p.suffix == ".tmp"]
    assert stray, "the child was meant to die between writing and renaming"
    ring = store.load()
    assert not ring.problems
    assert store.cert_path(fpr).read_bytes() == before  # the old file, whole
    assert len(load_keyring([tmp_path / "home" / "certs"])) == 1
    report = import_keys(store, [("update", update.read_bytes())])  # the next writer cleans up
    assert [i.status for i in report.items] == ["updated"]
    assert not [p for p in (tmp_path / "home" / "certs").iterdir() if p.suffix == ".tmp"]


_WRITE_FOREVER = """
import sys
from pathlib import Path
from datetime import timedelta
sys.path[:0] = [sys.argv[2], str(Path(sys.argv[2]) / "certs")]  # conftest, this module
from test_store import make_cert, certified, T0
from pgpsig.keys import import_keys
from pgpsig.certs.store import Store
store = Store.at(Path(sys.argv[1]))
print("ready", flush=True)
i = 0
while True:
    i += 1
    data = certified(make_cert(f"k{i % 7}"), f"m{i}", when=T0 + timedelta(days=1, seconds=i))
    import_keys(store, [(str(i), data)])
"""


@pytest.mark.slow
def test_random_kills_never_corrupt_the_store(tmp_path: Path) -> None:
    home = tmp_path / "home"
    rng = random.Random(4)
    for _round in range(12):
        child = subprocess.Popen(
            [sys.executable, "-c", _WRITE_FOREVER, str(home), str(ROOT / "tests")],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.6))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        ring = Store.at(home).load()
        assert not ring.problems, ring.problems
    assert len(Store.at(home).load()) >= 1


# --------------------------------------------------------------------------------------------------
# Corrupt files


def test_corrupt_file_is_reported_not_fatal(tmp_path: Path) -> None:
    home = tmp_path / "home"
    store = Store.at(home)
    import_keys(store, [("a", make_cert("alice")), ("b", make_cert("bob"))])
    alice = read_certs(make_cert("alice"))[0].fingerprint
    bob = read_certs(make_cert("bob"))[0].fingerprint
    store.cert_path(alice).write_bytes(b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n!!!!\n")
    # A file whose name does not match what it holds is reported too.
    carol = read_certs(make_cert("carol"))[0]
    (home / "certs" / f"{'0' * 40}.asc").write_bytes(make_cert("carol"))
    ring = store.load()
    assert set(ring.certs) == {bob, carol.fingerprint}  # the misnamed file still counts
    assert len(ring.problems) == 2
    assert any(alice in p for p in ring.problems)
    assert any(carol.fingerprint in p for p in ring.problems)

    # The CLI says so on stderr and lists the rest.
    r = run_pgpsig("key", "list", "--json", env={"PGPSIG_HOME": str(home)})
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert {k["fingerprint"] for k in doc["keys"]} == {bob, carol.fingerprint}
    assert len(doc["problems"]) == 2
    assert b"warning: skipped" in r.stderr

    # Importing over the corrupt file keeps the bad bytes aside and writes a good one.
    report = import_keys(store, [("a", make_cert("alice"))])
    assert [i.status for i in report.items] == ["new"]
    assert (home / "certs" / f"{alice}.asc.corrupt").is_file()
    assert set(store.load().certs) == {alice, bob, carol.fingerprint}
    # Importing carol stores her under her fingerprint.
    import_keys(store, [("c", make_cert("carol"))])
    assert store.cert_path(carol.fingerprint).is_file()


def test_roots_file_round_trip(tmp_path: Path) -> None:
    store = Store.at(tmp_path)
    with store.locked():
        store.write_roots([("A" * 40, "Root <r@example.org>"), ("B" * 40, "")])
    text = (tmp_path / "roots").read_text()
    assert "Root <r@example.org>" in text
    assert store.roots() == ["A" * 40, "B" * 40]
    assert Store.directory(tmp_path / "d").roots() == []
    with Store.directory(tmp_path / "d").locked() as s, pytest.raises(KeyringError):
        s.write_roots([])
