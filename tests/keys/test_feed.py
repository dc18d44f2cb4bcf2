"""Keyring feeds end to end: ``key publish`` by the master, ``key update`` on a host, freshness.

The story of the scheme, in real processes, with a loopback HTTP server: the master publishes; the
host updates and its module checks good (129); the master revokes its certification of the
developer and publishes again; the host updates and the module is REVOKED (64). Every feed the host
must refuse (a replay, a non-root's, a tampered, an expired, a truncated and an oversized one)
leaves its store byte for byte as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from conftest import require_oracle, run_pgpsig
from httpserver import Server
from jsonschemas import assert_valid
from pgpsig.certs import feeds
from pgpsig.certs.keyfile import read_key_file
from pgpsig.certs.store import Store
from pgpsig.engine.trust import TrustRoots
from pgpsig.errors import FormatError
from pgpsig.keys import generate_key
from pgpsig.keys.feeding import parse_validity

NOW = datetime.now(timezone.utc).replace(microsecond=0)
#: The keys are made a month before the test runs, so that feeds can be made in the past.
MADE = NOW - timedelta(days=30)
NO_PROXY = {"no_proxy": "*", "NO_PROXY": "*", "http_proxy": "", "HTTP_PROXY": ""}


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _key(label: str) -> Any:
    seed = hashlib.sha256(b"pgpsig feed test: " + label.encode()).digest()
    return generate_key(
        f"{label} <{label}@example.org>",
        now=MADE,
        private_keys=[ed25519.Ed25519PrivateKey.from_private_bytes(seed)],
    )


def snapshot(home: Path) -> dict[str, bytes]:
    """Every file of a store, by relative path (the lock file aside: it never holds data)."""
    return {
        str(p.relative_to(home)): p.read_bytes()
        for p in sorted(home.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


class World:
    """A master, a developer it certified, a module she signed, a publisher's keyring, a host."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.master, self.jane, self.mallory = _key("master"), _key("jane"), _key("mallory")
        for name, k in (("master", self.master), ("jane", self.jane), ("mallory", self.mallory)):
            (tmp / f"{name}.key").write_bytes(k.secret_key)
            (tmp / f"{name}.asc").write_bytes(k.certificate)
        self.pub = tmp / "pub"
        self.host = tmp / "host"
        self.run("key", "certify", tmp / "jane.asc", "--with", tmp / "master.key",
                 "--out", tmp / "jane.asc")  # fmt: skip
        self.run("key", "import", "--keyring", self.pub, tmp / "master.asc", tmp / "jane.asc",
                 tmp / "mallory.asc")  # fmt: skip
        self.pub0 = tmp / "pub0"  # as it was before any revocation, for the tests that need it
        shutil.copytree(self.pub, self.pub0)
        self.module = tmp / "hello"
        self.module.mkdir()
        (self.module / "hello.php").write_bytes(b"<?php echo 'hello';\n")
        self.run("sign", self.module, "--key", tmp / "jane.key")
        self.host_run("key", "trust-root", "add", tmp / "master.asc")
        self.host_run("key", "import", tmp / "jane.asc")

    def run(self, *args: Any, code: int = 0, **kw: Any) -> subprocess.CompletedProcess[bytes]:
        r = run_pgpsig(*args, **kw)
        assert r.returncode == code, (args, r.returncode, r.stderr.decode())
        return r

    def host_run(self, *args: Any, code: int = 0) -> subprocess.CompletedProcess[bytes]:
        return self.run(*args, code=code, env={"PGPSIG_HOME": str(self.host), **NO_PROXY})

    def publish(
        self,
        name: str,
        *,
        at: datetime,
        valid: str = "7d",
        key: str = "master",
        first: bool = False,
    ) -> Path:
        out = self.tmp / name
        pub = self.pub0 if first else self.pub
        self.run("key", "publish", "--with", self.tmp / f"{key}.key", "--keyring", pub,
                 "--valid", valid, "--out", out, "--at", iso(at))  # fmt: skip
        return out

    def check(self, *extra: str, code: int = 0) -> dict[str, Any]:
        r = self.host_run("check", self.module, "--json", *extra, code=code)
        doc: dict[str, Any] = json.loads(r.stdout)
        assert_valid(doc, "check")
        return doc


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return World(tmp_path_factory.mktemp("feed"))


def test_publish_update_revoke_update_refusals(world: World, tmp_path: Path) -> None:
    w = world
    server = Server()
    try:
        feed1 = w.publish("feed1.pgp", at=NOW - timedelta(hours=2))
        server.routes["/feed"] = (200, feed1.read_bytes())
        r = w.host_run("key", "update", "--from", server.url + "/feed", "--json")
        applied = json.loads(r.stdout)
        assert applied["status"] == "applied" and applied["root"] == w.master.fingerprint
        assert applied["previous"] is None
        assert set(applied["certificates"]) == {w.master.fingerprint, w.jane.fingerprint}
        doc = w.check()
        assert doc["modules"][0]["status"] == 129
        assert doc["feeds"] == [
            {
                "root": w.master.fingerprint,
                "created": iso(NOW - timedelta(hours=2)),
                "expires": iso(NOW - timedelta(hours=2) + timedelta(days=7)),
                "fresh": True,
            }
        ]
        assert doc["warnings"] == []

        # The master revokes its certification of Jane and publishes; the host takes it in.
        w.run("key", "revoke-certification", w.tmp / "jane.asc", "--with", w.tmp / "master.key",
              "--reason", "retired", "--out", w.tmp / "jane-revoked.asc")  # fmt: skip
        w.run("key", "import", "--keyring", w.pub, w.tmp / "jane-revoked.asc")
        feed2 = w.publish("feed2.pgp", at=NOW - timedelta(hours=1))
        server.routes["/feed"] = (200, feed2.read_bytes())
        r = w.host_run("key", "update", "--from", server.url + "/feed")
        assert b"replaces the feed of" in r.stdout
        doc = w.check(code=1)
        assert doc["modules"][0]["status"] == 64
        assert "revoked" in doc["modules"][0]["signature"]["reason"]

        before = snapshot(w.host)

        def refused(source: str, code: int, *words: str) -> None:
            r = w.host_run("key", "update", "--from", source, code=code)
            message = r.stderr.decode()
            for word in words:
                assert word in message, (word, message)
            assert snapshot(w.host) == before, source

        # A replay of the older feed, and of the same one.
        refused(str(feed1), 1, "older than the one in force", "rollback", "unchanged")
        refused(str(feed2), 1, "same age as the one in force", "unchanged")
        # A feed signed by a key that is not a trust root (Mallory's; the host holds her key).
        w.host_run("key", "import", w.tmp / "mallory.asc")
        before = snapshot(w.host)
        mallory = w.publish("mallory.pgp", at=NOW, key="mallory")
        refused(str(mallory), 1, "not a trust root", "unchanged")
        # A tampered feed: one octet of the content changed.
        data = bytearray(w.publish("feed3.pgp", at=NOW - timedelta(minutes=30)).read_bytes())
        data[len(data) // 2] ^= 0x01
        (tmp_path / "tampered.pgp").write_bytes(bytes(data))
        refused(str(tmp_path / "tampered.pgp"), 1, "bad", "unchanged")
        # An expired feed (made 10 days ago, fresh for 1), though newer than none in force.
        expired = w.publish("expired.pgp", at=NOW - timedelta(days=10), valid="1d")
        refused(str(expired), 1, "expired", "unchanged")
        # A truncated download: the server announces the whole feed and closes early.
        good = w.publish("feed4.pgp", at=NOW - timedelta(minutes=20)).read_bytes()
        server.routes["/cut"] = (200, good[: len(good) // 2])
        server.declared["/cut"] = len(good)
        refused(server.url + "/cut", 1, "incomplete answer", "unchanged")
        # A truncated file (nothing says how long it should be): not a feed.
        (tmp_path / "cut.pgp").write_bytes(good[:-7])
        refused(str(tmp_path / "cut.pgp"), 2, "not a keyring feed", "unchanged")
        # An oversized answer.
        server.routes["/big"] = (200, good + b"\0" * feeds.MAX_FEED_BYTES)
        refused(server.url + "/big", 2, "larger than", "unchanged")
        # Not a feed at all, and an unsupported scheme.
        refused(str(w.tmp / "master.asc"), 2, "not a keyring feed", "unchanged")
        refused("ftp://example.org/feed", 2, "only http and https")
        # After all of that the good, newer feed still applies.
        w.host_run("key", "update", "--from", str(w.tmp / "feed4.pgp"))
        assert snapshot(w.host) != before
    finally:
        server.close()


def test_freshness_warns_and_require_fresh_fails(world: World, tmp_path: Path) -> None:
    w = world
    home = tmp_path / "host2"
    env = {"PGPSIG_HOME": str(home), **NO_PROXY}
    w.run("key", "trust-root", "add", w.tmp / "master.asc", env=env)
    w.run("key", "import", w.tmp / "jane.asc", env=env)
    # Certified, no feed: good; --require-fresh: the root certifies no one without a feed.
    w.run("check", w.module, env=env)
    r = w.run("check", w.module, "--require-fresh", "--json", code=1, env=env)
    doc = json.loads(r.stdout)
    assert doc["modules"][0]["status"] == 4
    assert "no keyring feed" in doc["modules"][0]["signature"]["reason"]
    assert any("no keyring feed" in x for x in doc["warnings"])
    # A feed fresh for 7 days: good with --require-fresh; 8 days on, a warning, and a failure.
    feed = w.publish("fresh.pgp", at=NOW - timedelta(minutes=5), first=True)
    w.run("key", "update", "--from", feed, env=env)
    w.run("check", w.module, "--require-fresh", env=env)
    later = iso(NOW + timedelta(days=8))
    listed = json.loads(w.run("key", "list", "--json", env=env).stdout)
    assert_valid(listed, "key-list")
    assert [f["fresh"] for f in listed["feeds"]] == [True]
    listed = json.loads(w.run("key", "list", "--json", "--at", later, env=env).stdout)
    assert [f["fresh"] for f in listed["feeds"]] == [False]
    r = w.run("key", "list", "--at", later, env=env)
    assert (
        f"feed of trust root {w.master.fingerprint}".encode() in r.stdout and b"EXPIRED" in r.stdout
    )
    r = w.run("check", w.module, "--at", later, "--json", env=env)
    doc = json.loads(r.stdout)
    assert doc["modules"][0]["status"] == 129
    assert doc["feeds"][0]["fresh"] is False
    assert len(doc["warnings"]) == 1 and "expired" in doc["warnings"][0]
    assert b"warning: the keyring feed of trust root" in r.stderr
    r = w.run("check", w.module, "--at", later, "--require-fresh", code=1, env=env)
    assert b"expired" in r.stdout + r.stderr
    # verify: the same warning; --require-fresh fails it.
    text = w.tmp / "hello.txt"
    text.write_bytes(b"hello\n")
    # A detached signature by Jane, made with the sop interface (no gpg needed).
    sig = w.run("sop", "sign", w.tmp / "jane.key", stdin=text.read_bytes()).stdout
    (w.tmp / "hello.txt.sig").write_bytes(sig)
    r = w.run("verify", text, "--signature", w.tmp / "hello.txt.sig", "--at", later, "--json",
              env=env)  # fmt: skip
    doc = json.loads(r.stdout)
    assert doc["ok"] is True and any("expired" in x for x in doc["warnings"])
    r = w.run("verify", text, "--signature", w.tmp / "hello.txt.sig", "--at", later,
              "--require-fresh", code=1, env=env)  # fmt: skip
    assert b"not fresh" in r.stdout
    w.run("verify", text, "--signature", w.tmp / "hello.txt.sig", "--require-fresh", env=env)
    # --require-fresh judges the store's feeds: with --keyring it is a usage error.
    r = w.run("check", w.module, "--require-fresh", "--keyring", w.tmp / "jane.asc", code=2,
              env=env)  # fmt: skip
    assert b"--require-fresh" in r.stderr


def test_publish_is_deterministic_and_holds_what_the_master_vouches_for(
    world: World, tmp_path: Path
) -> None:
    w = world
    at = NOW - timedelta(days=1)
    a = w.publish("det-a.pgp", at=at, first=True).read_bytes()
    b = w.publish("det-b.pgp", at=at, first=True).read_bytes()
    assert a == b
    feed = feeds.parse_feed(a)
    assert feed.created == at and feed.expires == at + timedelta(days=7)
    fprs = {c.fingerprint for c in read_key_file(feed.content).certs}
    # Mallory is in the publisher's keyring but nobody certified her: not in the feed.
    assert fprs == {w.master.fingerprint, w.jane.fingerprint}


@pytest.mark.oracle
def test_feeds_verify_with_gpg_and_sqop(world: World, tmp_path: Path) -> None:
    w = world
    feed = w.publish("oracle.pgp", at=NOW - timedelta(minutes=1))
    sqop = require_oracle("sqop")
    r = subprocess.run([sqop, "inline-verify", w.tmp / "master.asc"], input=feed.read_bytes(),
                       capture_output=True, check=False)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert r.stdout == feeds.parse_feed(feed.read_bytes()).content
    gpg = require_oracle("gpg")
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    subprocess.run([gpg, "--homedir", home, "--batch", "--import", w.tmp / "master.asc"],
                   capture_output=True, check=True)  # fmt: skip
    r = subprocess.run([gpg, "--homedir", home, "--batch", "--status-fd", "1", "--verify", feed],
                       capture_output=True, check=False)  # fmt: skip
    subprocess.run(
        ["gpgconf", "--homedir", home, "--kill", "all"], capture_output=True, check=False
    )
    assert r.returncode == 0, r.stderr
    assert b"[GNUPG:] GOODSIG" in r.stdout and b"[GNUPG:] EXPSIG" not in r.stdout


@pytest.mark.slow
def test_kill_9_during_update_leaves_the_old_or_the_new_feed(world: World, tmp_path: Path) -> None:
    w = world
    old = w.publish("kill-old.pgp", at=NOW - timedelta(minutes=10))
    new = w.publish("kill-new.pgp", at=NOW - timedelta(minutes=9))
    template = tmp_path / "template"
    env = {**os.environ, "PGPSIG_HOME": str(template), **NO_PROXY}
    w.run("key", "trust-root", "add", w.tmp / "master.asc", env=env)
    w.run("key", "update", "--from", old, env=env)
    feed_file = template / "feeds" / f"{w.master.fingerprint}.pgp"
    assert feed_file.read_bytes() == old.read_bytes()
    cmd = [sys.executable, "-m", "pgpsig", "key", "update", "--from", str(new)]
    # How long an update takes here, to spread the kills over its whole life.
    start = time.monotonic()
    subprocess.run(cmd, env={**env, "PGPSIG_HOME": str(tmp_path / "probe")}, check=False,
                   capture_output=True)  # fmt: skip
    span = time.monotonic() - start
    rng = random.Random(20261205)
    outcomes = {"old": 0, "new": 0}
    home = tmp_path / "home"
    for _ in range(200):
        if home.exists():
            shutil.rmtree(home)
        shutil.copytree(template, home)
        p = subprocess.Popen(cmd, env={**env, "PGPSIG_HOME": str(home)},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        time.sleep(rng.uniform(0, span * 1.1))
        p.send_signal(signal.SIGKILL)
        p.wait()
        ring = Store.at(home).load(strict_revocations=True)
        assert w.master.fingerprint in ring.certs
        held = (home / "feeds" / f"{w.master.fingerprint}.pgp").read_bytes()
        assert held in (old.read_bytes(), new.read_bytes())
        outcomes["old" if held == old.read_bytes() else "new"] += 1
        applied = Store.at(home).applied_feed(w.master.fingerprint)
        assert applied is not None and applied.feed.created in (
            NOW - timedelta(minutes=10),
            NOW - timedelta(minutes=9),
        )
    # Both outcomes happened: the kills did land before and after the rename.
    assert outcomes["old"] > 0 and outcomes["new"] > 0, outcomes


# -- units -----------------------------------------------------------------------------------------


def test_parse_feed_refuses_what_is_no_feed(world: World) -> None:
    for data in (b"", b"not a feed", (world.tmp / "master.asc").read_bytes()):
        with pytest.raises(FormatError):
            feeds.parse_feed(data)


def test_validity_durations() -> None:
    assert parse_validity("12h", now=NOW) == timedelta(hours=12)
    assert parse_validity("7d", now=NOW) == timedelta(days=7)
    for bad in ("never", "0", "5", "20y"):
        with pytest.raises(ValueError):
            parse_validity(bad, now=NOW)


def test_staleness_names_missing_and_expired_feeds(world: World) -> None:
    feed = feeds.parse_feed(world.publish("unit.pgp", at=NOW, first=True).read_bytes())
    a = feeds.AppliedFeed(world.master.fingerprint, Path("x.pgp"), feed)
    assert feeds.staleness([a], {world.master.fingerprint}, feed.created) == {}
    assert feed.expires is not None
    late = feeds.staleness([a], {world.master.fingerprint, "AB" * 20}, feed.expires)
    assert "expired" in late[world.master.fingerprint] and "no keyring feed" in late["AB" * 20]


def test_requiring_fresh_keeps_the_roots_and_marks_the_stale() -> None:
    roots = TrustRoots(frozenset({"A" * 40}))
    marked = roots.requiring_fresh({"A" * 40: "why"})
    assert marked.fingerprints == roots.fingerprints and marked.stale == {"A" * 40: "why"}
    assert roots.stale == {}


def test_concurrent_updates_end_with_the_newest_feed(world: World, tmp_path: Path) -> None:
    w = world
    older = w.publish("race-old.pgp", at=NOW - timedelta(minutes=40), first=True)
    newer = w.publish("race-new.pgp", at=NOW - timedelta(minutes=39), first=True)
    for i in range(3):
        home = tmp_path / f"race{i}"
        env = {**os.environ, "PGPSIG_HOME": str(home), **NO_PROXY}
        w.run("key", "trust-root", "add", w.tmp / "master.asc", env=env)
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "pgpsig", "key", "update", "--from", str(f)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )  # fmt: skip
            for f in ((newer, older) if i % 2 else (older, newer))
        ]
        codes = [p.wait(timeout=60) for p in procs]
        for p in procs:
            assert p.stderr is not None
            assert b"Traceback" not in p.stderr.read()
            p.stderr.close()
        # The newer one always applies; the older one applies only if it came first.
        assert codes[0 if i % 2 else 1] == 0
        held = (home / "feeds" / f"{w.master.fingerprint}.pgp").read_bytes()
        assert held == newer.read_bytes()


# -- what the review of the first version found ----------------------------------------------------


def _host(w: World, tmp: Path, name: str) -> dict[str, str]:
    env = {"PGPSIG_HOME": str(tmp / name), **NO_PROXY}
    w.run("key", "trust-root", "add", w.tmp / "master.asc", env=env)
    w.run("key", "import", w.tmp / "jane.asc", env=env)
    return env


def _revocation_feed(w: World, name: str, at: datetime) -> Path:
    """A feed carrying the master's revocation of its certification of Jane."""
    pub = w.tmp / f"pub-{name}"
    if not pub.exists():
        shutil.copytree(w.pub0, pub)
        w.run("key", "revoke-certification", w.tmp / "jane.asc", "--with", w.tmp / "master.key",
              "--reason", "retired", "--out", w.tmp / f"jane-{name}.asc")  # fmt: skip
        w.run("key", "import", "--keyring", pub, w.tmp / f"jane-{name}.asc")
    out = w.tmp / f"{name}-{at:%H%M%S}.pgp"
    if out.exists():  # made by an earlier test: a second one would not be newer
        return out
    w.run("key", "publish", "--with", w.tmp / "master.key", "--keyring", pub, "--valid", "7d",
          "--out", out, "--at", iso(at))  # fmt: skip
    return out


def test_a_revocation_a_feed_delivered_outlives_the_next_feed(world: World, tmp_path: Path) -> None:
    w = world
    env = _host(w, tmp_path, "h")
    w.run("key", "update", "--from", _revocation_feed(w, "rev", NOW - timedelta(hours=3)), env=env)
    w.run("check", w.module, code=1, env=env)
    # The next feed is made from a keyring that lacks Jane (a mistake, or a stolen key's work).
    bare = tmp_path / "bare"
    w.run("key", "import", "--keyring", bare, w.tmp / "master.asc")
    out = tmp_path / "bare.pgp"
    r = w.run("key", "publish", "--with", w.tmp / "master.key", "--keyring", bare, "--valid",
              "7d", "--out", out, "--at", iso(NOW - timedelta(hours=2)))  # fmt: skip
    assert b"holds only the master's own certificate" in r.stderr
    w.run("key", "update", "--from", out, env=env)
    r = w.run("check", w.module, "--require-fresh", "--json", code=1, env=env)
    assert json.loads(r.stdout)["modules"][0]["status"] == 64
    # Removing the root retires its feed: the revocation stays, in the store's own files.
    w.run("key", "trust-root", "remove", w.master.fingerprint, env=env)
    assert not list((tmp_path / "h" / "feeds").iterdir())
    r = w.run("check", w.module, "--trust-root", w.tmp / "master.asc", "--json", code=1, env=env)
    assert json.loads(r.stdout)["modules"][0]["status"] == 64


def _webroot_check(w: World, tmp: Path, *keys: str) -> tuple[Any, ...]:
    """A FreePBX webroot holding the module and ``keys`` in BMO; the check of it, as arguments."""
    web = tmp / "web"
    bmo = web / "admin" / "libraries" / "BMO"
    bmo.mkdir(parents=True)
    for name in keys:
        shutil.copy(w.tmp / f"{name}.asc", bmo / f"{name}.key")
    shutil.copytree(w.module, web / "admin" / "modules" / "hello")
    return ("check", "--freepbx-webroot", web, "--trust-root", w.master.fingerprint, "--json")


def test_the_freepbx_preset_uses_the_stores_feeds(world: World, tmp_path: Path) -> None:
    w = world
    env = _host(w, tmp_path, "h")
    args = _webroot_check(w, tmp_path, "master", "jane")
    assert json.loads(w.run(*args, env=env).stdout)["modules"][0]["status"] == 129
    r = w.run(*args, "--require-fresh", code=1, env=env)
    assert json.loads(r.stdout)["modules"][0]["status"] == 4
    w.run("key", "update", "--from", _revocation_feed(w, "rev", NOW - timedelta(hours=3)), env=env)
    r = w.run(*args, "--require-fresh", code=1, env=env)
    assert json.loads(r.stdout)["modules"][0]["status"] == 64


def test_only_the_canonical_feed_is_a_feed(world: World, tmp_path: Path) -> None:
    """Marker packets or compression around a genuine feed: refused before anything is expanded."""
    import zlib

    w = world
    env = _host(w, tmp_path, "h")
    good = w.publish("canon.pgp", at=NOW - timedelta(minutes=50), first=True).read_bytes()
    marker = b"\xca\x03PGP"
    deflated = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = b"\x01" + deflated.compress(marker * 1000 + good) + deflated.flush()
    compressed = bytes([0xC8]) + bytes([0xFF]) + len(body).to_bytes(4, "big") + body
    for name, data in (("marker", marker + good), ("zip", compressed), ("tail", good + marker)):
        (tmp_path / name).write_bytes(data)
        r = w.run("key", "update", "--from", tmp_path / name, code=2, env=env)
        assert b"not a keyring feed" in r.stderr, (name, r.stderr)
    w.run("key", "update", "--from", w.tmp / "canon.pgp", env=env)


def test_a_damaged_feed_in_force_fails_closed(world: World, tmp_path: Path) -> None:
    w = world
    env = _host(w, tmp_path, "h")
    w.run("key", "update", "--from", _revocation_feed(w, "rev", NOW - timedelta(hours=3)), env=env)
    path = tmp_path / "h" / "feeds" / f"{w.master.fingerprint}.pgp"
    path.write_bytes(path.read_bytes()[:600])
    r = w.run("check", w.module, code=2, env=env)  # never 129: the revocation is in that file
    assert b"cannot be read" in r.stderr
    older = w.publish("damaged-older.pgp", at=NOW - timedelta(hours=5), first=True)
    r = w.run("key", "update", "--from", older, code=2, env=env)
    assert b"cannot be read" in r.stderr
    # Not a regular file (a FIFO would block a reader): refused at once.
    path.unlink()
    os.mkfifo(path)
    r = w.run("check", w.module, code=2, env=env, timeout=30)
    assert b"not a regular file" in r.stderr
    path.unlink()
    # A file that is not named as a feed is reported and not read.
    (path.parent / "notes.pgp").write_bytes(b"x")
    r = w.run("check", w.module, env=env)
    assert b"not a feed's name" in r.stderr


def test_refused_signers_times_and_publish_mistakes(world: World, tmp_path: Path) -> None:
    w = world
    env = _host(w, tmp_path, "h")
    # A feed from the future.
    future = w.publish("future.pgp", at=NOW + timedelta(hours=1), first=True)
    r = w.run("key", "update", "--from", future, code=1, env=env)
    assert b"after now" in r.stderr
    # A feed made before the root's key was retired (a soft revocation), applied after it.
    before = w.publish("before-retire.pgp", at=NOW - timedelta(days=2), valid="3650d", first=True)
    rev = tmp_path / "master.rev"
    w.run("key", "revoke", w.tmp / "master.key", "--reason", "superseded", "--out", rev)
    w.run("key", "import", rev, env=env)
    r = w.run("key", "update", "--from", before, code=1, env=env)
    assert b"may no longer sign now" in r.stderr
    # Publish: a keyring that is not there, an absurd window, a feed not newer than --out's.
    r = w.run("key", "publish", "--with", w.tmp / "master.key", "--keyring", tmp_path / "typo",
              "--valid", "7d", "--out", tmp_path / "x.pgp", code=2)  # fmt: skip
    assert b"no such directory" in r.stderr
    r = w.run("key", "publish", "--with", w.tmp / "master.key", "--keyring", w.pub0,
              "--valid", "99999999999999999999h", "--out", tmp_path / "x.pgp", code=2)  # fmt: skip
    assert b"--valid" in r.stderr
    at = iso(NOW - timedelta(minutes=3))
    again = ("key", "publish", "--with", w.tmp / "master.key", "--keyring", w.pub0, "--valid",
             "7d", "--out", tmp_path / "same.pgp", "--at", at)  # fmt: skip
    w.run(*again)
    r = w.run(*again, code=2)
    assert b"not before this one" in r.stderr


def test_a_network_failure_is_exit_1_with_a_valid_error_document(
    world: World, tmp_path: Path
) -> None:
    import socket

    w = world
    env = _host(w, tmp_path, "h")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nobody listens there
    r = w.run("key", "update", "--from", f"http://127.0.0.1:{port}/feed", "--json", code=1,
              env=env)  # fmt: skip
    doc = json.loads(r.stdout)
    assert_valid(doc, "error")
    assert doc["error"]["kind"] == "network" and "unchanged" in doc["error"]["message"]
    assert doc["error"]["message"] in r.stderr.decode()


def test_a_feed_carrying_its_signers_revocation_is_refused(world: World, tmp_path: Path) -> None:
    """The host does not hold the root's revocation yet; the feed that delivers it does."""
    w = world
    env = _host(w, tmp_path, "h")
    pub = tmp_path / "pub-self"
    shutil.copytree(w.pub0, pub)
    rev = tmp_path / "master-superseded.rev"
    w.run("key", "revoke", w.tmp / "master.key", "--reason", "superseded", "--out", rev)
    w.run("key", "import", "--keyring", pub, rev)
    out = tmp_path / "self.pgp"
    r = w.run("key", "publish", "--with", w.tmp / "master.key", "--keyring", pub, "--valid", "7d",
              "--out", out, "--at", iso(NOW + timedelta(seconds=30)))  # fmt: skip
    assert b"revocation of the master's own key" in r.stderr
    r = w.run("key", "update", "--from", out, code=1, env=env)
    assert b"revoked" in r.stderr


def test_the_freepbx_preset_keeps_what_feeds_delivered(world: World, tmp_path: Path) -> None:
    """With a BMO folder (every real install), a revocation a later feed omits still counts."""
    w = world
    env = _host(w, tmp_path, "h")
    args = _webroot_check(w, tmp_path, "master")
    w.run("key", "update", "--from", _revocation_feed(w, "rev", NOW - timedelta(hours=3)), env=env)
    assert json.loads(w.run(*args, code=1, env=env).stdout)["modules"][0]["status"] == 64
    bare = tmp_path / "bare"
    w.run("key", "import", "--keyring", bare, w.tmp / "master.asc")
    out = tmp_path / "bare.pgp"
    w.run("key", "publish", "--with", w.tmp / "master.key", "--keyring", bare, "--valid", "7d",
          "--out", out, "--at", iso(NOW - timedelta(hours=2)))  # fmt: skip
    w.run("key", "update", "--from", out, env=env)
    assert json.loads(w.run(*args, code=1, env=env).stdout)["modules"][0]["status"] == 64


def test_no_home_is_no_store_for_the_preset_and_an_error_otherwise(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A service with no home directory and no store variable (as the CLI's inputs see it)."""
    from pgpsig.cli import inputs
    from pgpsig.errors import KeyringError

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.delenv("PGPSIG_HOME", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setattr(Path, "home", no_home)
    with pytest.raises(KeyringError, match="no home directory"):
        inputs.store_home()
    with pytest.raises(KeyringError, match="no home directory"):
        inputs.keyring(None)
    feeds_found: list[Any] = []
    ring = inputs.keyring([world.tmp / "master.asc"], feeds=feeds_found, store_feeds=True)
    assert world.master.fingerprint in ring.certs and feeds_found == []
