"""``pgpsig key refresh`` against servers the test starts on loopback.

* an HKP keyserver (``/pks/lookup?op=get&options=mr&search=0x<FPR>``) that knows some keys, serves
  one of them with a new revocation, another unchanged, answers 404 for the rest;
* a Web Key Directory tree (``/.well-known/openpgpkey/<domain>/hu/<hash>?l=<local>``);
* a server that accepts connections and never answers: the refresh reports the timeout within its
  limit, and does not wait once per key (the remaining lookups of that server are skipped).

Refresh only updates certificates already in the store: anything else the servers send is ignored.
"""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from conftest import run_pgpsig
from httpserver import Server
from pgpsig.certs.keyring import cert_to_bytes, read_certs
from pgpsig.certs.store import Store
from pgpsig.keys import (
    HTTPFetcher,
    NetworkError,
    generate_key,
    import_keys,
    read_key_material,
    refresh,
    revoke_key,
    wkd_hash,
)

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
NO_PROXY = {"no_proxy": "*", "NO_PROXY": "*", "http_proxy": "", "HTTP_PROXY": ""}


def gen(label: str, domain: str = "example.org") -> Any:
    seed = hashlib.sha256(b"pgpsig refresh test: " + label.encode()).digest()
    return generate_key(
        f"{label} <{label}@{domain}>",
        now=T0,
        private_keys=[ed25519.Ed25519PrivateKey.from_private_bytes(seed)],
    )


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


@pytest.fixture
def silent() -> Iterator[str]:
    """A server that accepts TCP connections and never says a word."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
                held.append(conn)
            except TimeoutError:
                continue
            except OSError:
                return

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    stop.set()
    t.join(timeout=5)
    for c in held:
        c.close()
    sock.close()


def hkp_path(fpr: str) -> str:
    return "/pks/lookup?" + urllib.parse.urlencode(
        {"op": "get", "options": "mr", "search": f"0x{fpr}"}
    )


def env(home: Path) -> dict[str, str]:
    return {"PGPSIG_HOME": str(home), **NO_PROXY}


@pytest.fixture
def store(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    home = tmp_path / "home"
    keys = {name: gen(name) for name in ("alice", "bob", "carol")}
    keys["dave"] = gen("dave", domain="other.example")
    import_keys(Store.at(home), [(n, k.certificate) for n, k in keys.items()])
    return home, keys


def test_wkd_hash_matches_the_draft() -> None:
    # draft-koch-openpgp-webkey-service: "Joe.Doe@Example.ORG" -> iy9q119eutrkn8s1mk4r39qejnbu3n5q
    assert wkd_hash("Joe.Doe") == "iy9q119eutrkn8s1mk4r39qejnbu3n5q"


def test_hkp_refresh_updates_reports_and_never_adds(
    server: Server, store: tuple[Path, dict[str, Any]]
) -> None:
    home, keys = store
    alice, bob = keys["alice"], keys["bob"]
    revocation = revoke_key(
        alice.secret_key, passphrase=None, reason="compromised", now=T0 + timedelta(days=1)
    )
    stranger = gen("stranger")
    # alice: her certificate plus the revocation (a keyserver serves the merged certificate; here
    # the revocation comes as a separate block), and a stranger's key nobody asked for.
    server.routes[hkp_path(alice.fingerprint)] = (
        200,
        alice.certificate + revocation.revocation + stranger.certificate,
    )
    server.routes[hkp_path(bob.fingerprint)] = (200, bob.certificate)
    server.routes[hkp_path(keys["carol"].fingerprint)] = (200, b"this is not a key")
    r = run_pgpsig(
        "key", "refresh", "--keyserver", server.url, "--timeout", "5", "--json", env=env(home)
    )
    doc = json.loads(r.stdout)
    by_fpr = {i["fingerprint"]: i for i in doc["lookups"]}
    assert by_fpr[alice.fingerprint]["status"] == "updated"
    assert by_fpr[bob.fingerprint]["status"] == "unchanged"
    assert by_fpr[keys["carol"].fingerprint]["status"] == "rejected"
    assert by_fpr[keys["dave"].fingerprint]["status"] == "not-found"
    assert r.returncode == 1  # carol's answer was unusable
    ring = Store.at(home).load()
    assert stranger.fingerprint not in ring.certs  # refresh never adds a certificate
    assert len(ring) == 4
    listed = json.loads(run_pgpsig("key", "list", "--json", env=env(home)).stdout)
    state = {k["fingerprint"]: k["validity"] for k in listed["keys"]}
    assert state[alice.fingerprint] == "revoked"
    assert state[bob.fingerprint] == "valid"
    assert all(p.startswith("/pks/lookup?op=get&options=mr&search=0x") for p in server.requests)


def test_wkd_refresh_queries_only_the_directory_domain(
    server: Server, store: tuple[Path, dict[str, Any]]
) -> None:
    home, keys = store
    bob = keys["bob"]
    revocation = revoke_key(
        bob.secret_key, passphrase=None, reason="retired", now=T0 + timedelta(days=1)
    )
    base = "/.well-known/openpgpkey/example.org"
    # The directory serves the certificate with the revocation merged in, in binary.
    cert = read_certs(bob.certificate)[0]
    cert.direct.extend(read_key_material(revocation.revocation).signatures)
    binary = cert_to_bytes(cert)
    server.routes[f"{base}/hu/{wkd_hash('bob')}?l=bob"] = (200, binary)
    r = run_pgpsig("key", "refresh", "--wkd", server.url + base, "--json", env=env(home))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    status = {i["fingerprint"]: i["status"] for i in doc["lookups"]}
    assert status == {
        keys["alice"].fingerprint: "not-found",
        bob.fingerprint: "updated",
        keys["carol"].fingerprint: "not-found",
    }  # dave@other.example is not asked for at example.org's directory
    assert len(server.requests) == 3
    assert all(p.startswith(f"{base}/hu/") and "?l=" in p for p in server.requests)


def test_silent_server_times_out_within_the_limit(
    silent: str, store: tuple[Path, dict[str, Any]]
) -> None:
    home, keys = store
    start = time.monotonic()
    r = run_pgpsig(
        "key",
        "refresh",
        "--keyserver",
        silent,
        "--timeout",
        "1",
        "--json",
        env=env(home),
        timeout=60,
    )
    elapsed = time.monotonic() - start
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    statuses = [i["status"] for i in doc["lookups"]]
    assert statuses[0] == "timeout"
    assert statuses[1:] == ["skipped"] * (len(keys) - 1)  # one timeout, not one per key
    assert "within 1 s" in doc["lookups"][0]["detail"]
    assert elapsed < 8, elapsed  # the interpreter's start-up included; never 4 timeouts in a row
    # In process, without start-up: one timeout of 1 s, then nothing.
    start = time.monotonic()
    report = refresh(
        Store.at(home), fetch=HTTPFetcher(timeout=1, clock=time.monotonic), keyserver=silent
    )
    assert time.monotonic() - start < 2.5
    assert [i.status for i in report.items] == ["timeout"] + ["skipped"] * (len(keys) - 1)
    human = run_pgpsig(
        "key", "refresh", "--keyserver", silent, "--timeout", "0.5", env=env(home), timeout=60
    )
    assert human.returncode == 1
    assert human.stdout.decode().splitlines()[0].startswith("timeout")


def test_fetcher_deadline_bounds_a_trickling_answer() -> None:
    """A server that sends a byte now and then never resets the whole request's deadline."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    stop = threading.Event()

    def trickle() -> None:
        conn, _ = sock.accept()
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 100000\r\n\r\n")
        while not stop.is_set():
            try:
                conn.sendall(b"x" * 10)
            except OSError:
                return
            time.sleep(0.3)
        conn.close()

    t = threading.Thread(target=trickle, daemon=True)
    t.start()
    fetch = HTTPFetcher(timeout=1.0, clock=time.monotonic)
    start = time.monotonic()
    with pytest.raises(NetworkError) as err:
        fetch(f"http://127.0.0.1:{sock.getsockname()[1]}/slow")
    stop.set()
    sock.close()
    assert time.monotonic() - start < 3
    assert err.value.kind in ("timeout", "error")


def test_refresh_library_and_refusals(tmp_path: Path, server: Server) -> None:
    store = Store.at(tmp_path / "home")
    with pytest.raises(ValueError, match="keyserver or a WKD"):
        refresh(store, fetch=HTTPFetcher(timeout=1))
    with pytest.raises(NetworkError, match="only http"):
        HTTPFetcher(timeout=1)("file:///no/such/file")
    # An empty store: nothing to do, nothing asked.
    report = refresh(store, fetch=HTTPFetcher(timeout=1), keyserver=server.url)
    assert report.ok
    assert report.items == ()
    assert server.requests == []


def test_hkp_scheme_mapping() -> None:
    from pgpsig.keys.refreshing import _keyserver_url

    fpr = "A" * 40
    assert _keyserver_url("hkp://keys.example", fpr).startswith("http://keys.example:11371/pks/")
    assert _keyserver_url("hkps://keys.example", fpr).startswith("https://keys.example/pks/")
    assert _keyserver_url("keys.example", fpr).startswith("https://keys.example/pks/lookup?")
    assert _keyserver_url("http://127.0.0.1:8080", fpr).endswith(f"search=0x{fpr}")


def test_check_and_verify_never_touch_the_network() -> None:
    """Neither check nor verify imports the refresh code or urllib's HTTP client."""
    code = (
        "import sys, pgpsig.modules.check, pgpsig.verify, pgpsig.cli\n"
        "bad = [m for m in ('pgpsig.keys', 'urllib.request', 'http.client') if m in sys.modules]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False, timeout=60)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()


def test_a_hostile_answer_spends_only_its_own_budget(tmp_path: Path) -> None:
    """Each answer a refresh fetched is imported as a run of its own. One server's answer of
    more than 100,000 packets (16 MiB may come back) spent the whole command's budget: the store
    could not be read, and the answer carrying a revocation from another server was refused with
    it, on every refresh. Now that answer alone is rejected, and the revocation applied."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "vectors"))
    import generate as g

    from pgpsig.openpgp.runbudget import PACKET_BUDGET_REASON

    store = Store.at(tmp_path / "home")
    bob = g.certificate(g.BOB, g.user_id(g.BOB, g.BOB_UID))
    assert import_keys(store, [("bob", bob)]).ok
    revocation = g.standard_sign(
        g.BOB, 0x20, g.BOB.hashed_form, created=g.T0 + 100, hashed=[g.sp_reason(2, "stolen")]
    )
    flood = b""
    for i in range(6):  # 6 x 20,000 packets, none of them Bob's
        key = g.ed25519_key(f"refresh flood {i}")
        uid = f"Flood {i} <f{i}@example.org>"
        forged = g.standard_sign(
            key, 0x13, key.hashed_form + g.uid_hashed_form(uid), created=g.T0, corrupt=True
        )
        flood += g.certificate(key, g.user_id(key, uid) + forged * 19_998)
    answers = {"wkd": flood, "ks": bob + revocation}

    def fetch(url: str) -> bytes:
        return answers["ks" if url.startswith("https://ks.example/") else "wkd"]

    report = refresh(store, fetch=fetch, keyserver="https://ks.example", wkd="example.org")
    by_status = {i.status: i for i in report.items}
    assert set(by_status) == {"rejected", "updated"}, report.items
    assert PACKET_BUDGET_REASON in (by_status["rejected"].detail or "")
    assert by_status["rejected"].source == "wkd"
    (stored,) = store.load().certs.values()
    assert any(s.sig_type == 0x20 for s in stored.direct)  # Bob's revocation applied
