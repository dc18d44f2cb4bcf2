"""The public facade (``import pgpsig``): every call takes what callers have.

Paths as ``str`` and ``Path``, data as bytes, a path or a binary file object, one keyring path or
several, trust roots from fingerprints or certificate files, ``policy`` and ``now`` defaulted, the
verified text returned or written, the CLI's typed errors, short reprs. The data are the bundled
example keys (``examples/``, made by ``examples/generate.py``).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import pgpsig
from pgpsig.keys.generate import GeneratedKey, generate_key
from pgpsig.openpgp.secretkey import PassphraseError

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
MASTER = EXAMPLES / "example-master.asc"
DEV = EXAMPLES / "example-dev.asc"
DEV_SECRET = EXAMPLES / "example-dev.sec.asc"
HELLO = EXAMPLES / "hello.txt.asc"
MASTER_FPR = "2919850815FAE2A8FDC551A86B4016EF0DED0555"
DEV_FPR = "866628BE71877F591657D7F2F0C9913C1A3AA394"

#: The ways of naming a path: str and Path.
AS_PATH: list[Callable[[Path], object]] = [str, Path]


@pytest.fixture
def opened() -> Iterator[Callable[[Path], io.BufferedReader]]:
    """``opened(path)``: the file opened for reading in binary mode, closed after the test."""
    files: list[io.BufferedReader] = []

    def open_(path: Path) -> io.BufferedReader:
        files.append(path.open("rb"))
        return files[-1]

    yield open_
    for f in files:
        f.close()


class Trickle(io.RawIOBase):
    """A binary stream that gives at most 7 bytes a read, as a pipe or an unbuffered file may."""

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        n = min(7, len(buffer), len(self._data))
        buffer[:n] = self._data[:n]
        self._data = self._data[n:]
        return n


#: The ways of giving data: a path as str or Path, the bytes, an open binary file, a stream
#: that returns less than asked at each read.
DATA_KINDS = ["str", "Path", "bytes", "file", "trickle"]


@pytest.fixture
def given(opened: Callable[[Path], io.BufferedReader]) -> Callable[[str, Path], object]:
    """``given(kind, path)``: the file at ``path`` given as ``kind`` (one of DATA_KINDS)."""
    makers: dict[str, Callable[[Path], object]] = {
        "str": str,
        "Path": Path,
        "bytes": Path.read_bytes,
        "file": opened,
        "trickle": lambda path: Trickle(path.read_bytes()),
    }
    return lambda kind, path: makers[kind](path)


@pytest.fixture
def module(tmp_path: Path) -> Path:
    """A copy of the example module, signed by the example developer."""
    d = tmp_path / "example"
    shutil.copytree(EXAMPLES / "module", d)
    pgpsig.sign_module(d, DEV_SECRET)
    return d


# --------------------------------------------------------------------------------------------------
# Keyring and trust roots


@pytest.mark.parametrize("kind", [*AS_PATH, lambda p: [str(p)], lambda p: (p,)])
def test_load_keyring_takes_one_path_or_many(kind: Callable[[Path], object]) -> None:
    ring = pgpsig.load_keyring(kind(MASTER))  # type: ignore[arg-type]
    assert [c.fingerprint for c in ring] == [MASTER_FPR]


def test_load_keyring_of_several_and_of_a_directory(tmp_path: Path) -> None:
    ring = pgpsig.load_keyring([str(MASTER), DEV])
    assert {c.fingerprint for c in ring} == {MASTER_FPR, DEV_FPR}
    keys = tmp_path / "keys"
    keys.mkdir()
    shutil.copy(DEV, keys)
    assert [c.fingerprint for c in pgpsig.load_keyring(str(keys))] == [DEV_FPR]


def test_load_keyring_of_a_missing_file_is_the_clis_error(tmp_path: Path) -> None:
    with pytest.raises(pgpsig.InputError, match="does not exist"):
        pgpsig.load_keyring(str(tmp_path / "nosuch.asc"))


@pytest.mark.parametrize("ref", [str(MASTER), MASTER, [str(MASTER)], (MASTER,)])
def test_trust_roots_from_certificate_files(ref: object) -> None:
    ring = pgpsig.load_keyring(DEV)
    roots = pgpsig.TrustRoots.resolve(ref, ring)  # type: ignore[arg-type]
    assert roots.fingerprints == {MASTER_FPR}
    assert MASTER_FPR in ring.certs  # the certificate file joined the keyring


@pytest.mark.parametrize("ref", [MASTER_FPR, [MASTER_FPR.lower()], "0x6B4016EF0DED0555"])
def test_trust_roots_from_fingerprints_or_key_ids(ref: object) -> None:
    ring = pgpsig.load_keyring([MASTER, DEV])
    assert pgpsig.TrustRoots.resolve(ref, ring).fingerprints == {MASTER_FPR}  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", [lambda p: p.read_bytes(), "file"])
def test_load_keyring_from_data(kind: object, opened: Callable[[Path], object]) -> None:
    ring = pgpsig.load_keyring((opened if kind == "file" else kind)(DEV))  # type: ignore[operator]
    assert [c.fingerprint for c in ring] == [DEV_FPR]
    with pytest.raises(pgpsig.FormatError, match="^keyring data: "):
        pgpsig.load_keyring(HELLO.read_bytes())


def test_trust_roots_refuse_what_names_no_root(tmp_path: Path) -> None:
    ring = pgpsig.load_keyring(DEV)
    with pytest.raises(pgpsig.InputError, match="no such file"):
        pgpsig.TrustRoots.resolve(str(tmp_path / "nosuch.asc"), ring)
    with pytest.raises(pgpsig.InputError, match="not in the keyring"):
        pgpsig.TrustRoots.resolve(MASTER_FPR, ring)


# --------------------------------------------------------------------------------------------------
# Check and sign


@pytest.mark.parametrize("kind", AS_PATH)
def test_check_module_with_defaults(module: Path, kind: Callable[[Path], object]) -> None:
    report = pgpsig.check_module(
        kind(module),  # type: ignore[arg-type]
        keyring=[kind(MASTER), kind(DEV)],  # type: ignore[list-item]
        roots=kind(MASTER),  # type: ignore[arg-type]
    )
    assert report.ok, report.details
    assert report.status == pgpsig.Status.GOOD | pgpsig.Status.TRUSTED
    assert report.module == "example"
    assert report.checked_at is not None
    assert abs(report.checked_at - datetime.now(timezone.utc)) < timedelta(minutes=5)


def test_check_module_sees_tampering_and_raises_on_request(module: Path) -> None:
    (module / "module.xml").write_bytes(b"<module/>\n")
    report = pgpsig.check_module(str(module), keyring=[MASTER, DEV], roots=MASTER_FPR)
    assert not report.ok
    assert report.status == pgpsig.Status.TAMPERED | pgpsig.Status.TRUSTED
    with pytest.raises(pgpsig.VerificationError, match="status 130"):
        report.raise_for_status()
    with pytest.raises(TypeError, match="report.ok"):
        bool(report)


def test_check_module_at_a_time_and_under_a_policy(module: Path) -> None:
    ring = pgpsig.load_keyring([MASTER, DEV])
    roots = pgpsig.TrustRoots.resolve(MASTER_FPR, ring)
    before_keys = datetime(2024, 1, 1, tzinfo=timezone.utc)
    report = pgpsig.check_module(
        module,
        keyring=ring,
        roots=roots,
        policy=pgpsig.policy_named("freepbx-legacy"),
        now=before_keys,
    )
    assert not report.ok  # the signature was made after "now"
    with pytest.raises(ValueError, match="timezone-aware"):
        pgpsig.check_module(module, keyring=ring, roots=roots, now=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="unknown policy"):
        pgpsig.check_module(module, keyring=ring, roots=roots, policy="nosuch")


def _cli_error(*args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "pgpsig", *args], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2, proc
    return proc.stderr.strip()


@pytest.mark.parametrize("what", ["missing", "file", "dangling"])
def test_a_module_that_is_not_a_directory_is_the_clis_error(tmp_path: Path, what: str) -> None:
    target = tmp_path / "core"
    if what == "file":
        target.write_bytes(b"")
    elif what == "dangling":
        target.symlink_to(tmp_path / "nowhere")
    with pytest.raises(pgpsig.InputError) as caught:
        pgpsig.check_module(str(target), keyring=DEV, roots=DEV_FPR)
    with pytest.raises(pgpsig.InputError) as caught_many:
        pgpsig.check_modules([target], keyring=DEV, roots=DEV_FPR)
    cli = _cli_error("check", str(target), "--keyring", str(DEV), "--trust-root", DEV_FPR)
    assert cli == f"pgpsig: {caught.value}" == f"pgpsig: {caught_many.value}"
    with pytest.raises(pgpsig.InputError) as caught_sign:
        pgpsig.sign_module(target, DEV_SECRET)
    assert str(caught_sign.value) == str(caught.value)


def test_check_modules_names_and_a_modules_dir(module: Path, tmp_path: Path) -> None:
    reports = pgpsig.check_modules(
        modules_dir=str(module.parent), keyring=[MASTER, DEV], roots=MASTER
    )
    assert [(r.module, r.ok) for r in reports] == [("example", True)]
    streamed = pgpsig.iter_check_modules(module, keyring=[MASTER, DEV], roots=MASTER)
    assert [r.ok for r in streamed] == [True]
    with pytest.raises(pgpsig.InputError, match="no such directory"):
        pgpsig.iter_check_modules(tmp_path / "nosuch", keyring=DEV, roots=DEV_FPR)


def test_nothing_to_check_or_sign_is_refused(tmp_path: Path) -> None:
    """An empty list of reports would read as "every module is good": fail closed, as the CLI."""
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="nothing to check"):
        pgpsig.check_modules([], keyring=DEV, roots=DEV_FPR)
    with pytest.raises(ValueError, match="nothing to check"):
        pgpsig.check_modules(modules_dir=empty, keyring=DEV, roots=DEV_FPR)
    with pytest.raises(ValueError, match="nothing to sign"):
        pgpsig.sign_modules([], DEV_SECRET)
    with pytest.raises(ValueError, match="nothing to sign"):
        pgpsig.sign_modules((), DEV_SECRET, modules_dir=empty)


def test_a_lone_exclude_pattern_is_one_pattern(module: Path) -> None:
    """exclude="*.log" is the pattern "*.log", never the patterns "*", ".", "l", "o", "g"."""
    (module / "evil.php").write_bytes(b"<?php system($_GET['c']);")
    (module / "debug.log").write_bytes(b"noise")
    for exclude in ("*.log", ["*.log"]):
        report = pgpsig.check_module(
            module, keyring=[MASTER, DEV], roots=MASTER, strict=True, exclude=exclude
        )
        assert not report.ok
        assert "evil.php" in report.files.unlisted
        assert "debug.log" not in report.files.unlisted
    (module / "evil.php").unlink()
    signed = pgpsig.sign_module(module, DEV_SECRET, exclude="*.log")
    assert signed.files == 4  # debug.log left out, the module's own files in


def test_sign_modules_of_a_modules_dir(tmp_path: Path) -> None:
    for name in ("a", "b"):
        shutil.copytree(EXAMPLES / "module", tmp_path / "mods" / name)
    results = pgpsig.sign_modules((), DEV_SECRET, modules_dir=str(tmp_path / "mods"))
    assert [r.path.parent.name for r in results] == ["a", "b"]
    reports = pgpsig.check_modules(
        modules_dir=tmp_path / "mods", keyring=[MASTER, DEV], roots=MASTER
    )
    assert [(r.module, r.ok) for r in reports] == [("a", True), ("b", True)]


@pytest.mark.parametrize("kind", DATA_KINDS)
def test_sign_module_takes_the_key_as_path_bytes_or_file(
    tmp_path: Path, kind: str, given: Callable[[str, Path], object]
) -> None:
    d = tmp_path / "mod"
    shutil.copytree(EXAMPLES / "module", d)
    result = pgpsig.sign_module(str(d), given(kind, DEV_SECRET), hash_name="SHA256")  # type: ignore[arg-type]
    assert isinstance(result, pgpsig.SignResult)
    assert (result.primary, result.files, result.hash_algorithm) == (DEV_FPR, 4, "SHA256")
    assert pgpsig.check_module(d, keyring=[MASTER, DEV], roots=MASTER).ok


def _protected_key_and_module(tmp_path: Path) -> tuple[GeneratedKey, Path]:
    """A key protected by ``s3cret`` (its secret key in ``p.sec.asc``) and the example module."""
    key = generate_key(
        "Protected <p@example.org>",
        now=datetime.now(timezone.utc) - timedelta(hours=1),
        passphrase=b"s3cret",
    )
    (tmp_path / "p.sec.asc").write_bytes(key.secret_key)
    d = tmp_path / "mod"
    shutil.copytree(EXAMPLES / "module", d)
    return key, d


def test_sign_module_with_a_protected_key(tmp_path: Path) -> None:
    key, d = _protected_key_and_module(tmp_path)
    with pytest.raises(PassphraseError):
        pgpsig.sign_module(d, tmp_path / "p.sec.asc")
    with pytest.raises(PassphraseError):
        pgpsig.sign_module(d, tmp_path / "p.sec.asc", passphrase="wrong")
    assert not (d / "module.sig").exists()
    result = pgpsig.sign_module(d, str(tmp_path / "p.sec.asc"), passphrase="s3cret")
    assert result.primary == key.fingerprint
    assert len(pgpsig.load_signing_keys(key.secret_key, b"s3cret")) == 1


_APART_PROBE = """
import sys
import pgpsig
from pgpsig.openpgp.secretkey import PassphraseError
module, key, protected = sys.argv[1:]
pgpsig.sign_module(module, key)
pgpsig.sign_modules([module], key, hash_name="SHA256")
assert len(pgpsig.load_signing_keys(key)) == 1
try:
    pgpsig.sign_module(module, protected, passphrase="wrong")
except PassphraseError:
    pass
else:
    raise AssertionError("a wrong passphrase signed")
print(sorted(m for m in sys.modules if m == "pgpy" or m.startswith("pgpy.")))
"""


def test_the_secret_key_is_unlocked_apart(tmp_path: Path) -> None:
    """As ``pgpsig sign``, the library unlocks a v4 key in a forked process of its own: PGPy is
    never imported into the caller's process (nor into the workers it forks to sign), and a wrong
    passphrase is still a PassphraseError."""
    key, d = _protected_key_and_module(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-c", _APART_PROBE, str(d), str(DEV_SECRET), str(tmp_path / "p.sec.asc")],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(Path(pgpsig.__file__).parent.parent)},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]", "PGPy was imported into the signing process"
    assert pgpsig.check_module(d, keyring=[MASTER, DEV], roots=MASTER).ok


def test_the_process_unlocking_the_key_dies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed (out of memory) while it unlocks the key: a typed error, nothing written."""
    from pgpsig.modules import sign  # noqa: PLC0415 - what is patched

    parent = os.getpid()

    def dying(*_args: object) -> object:
        assert os.getpid() != parent, "the key must be unlocked in a process of its own"
        os._exit(9)

    monkeypatch.setattr(sign, "load_signing_keys", dying)
    d = tmp_path / "mod"
    shutil.copytree(EXAMPLES / "module", d)
    with pytest.raises(pgpsig.PgpsigError, match="loading the secret key died"):
        pgpsig.sign_module(d, DEV_SECRET)
    with pytest.raises(pgpsig.PgpsigError, match="loading the secret key died"):
        pgpsig.load_signing_keys(DEV_SECRET)
    assert sorted(p.name for p in d.iterdir()) == sorted(
        p.name for p in (EXAMPLES / "module").iterdir()
    )


def test_sign_modules_all_or_nothing(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(EXAMPLES / "module", a)
    shutil.copytree(EXAMPLES / "module", b)
    (b / "escape").symlink_to("/etc/hostname")
    with pytest.raises(pgpsig.InputError, match="leaves the module"):
        pgpsig.sign_modules([str(a), b], DEV_SECRET)
    assert not (a / "module.sig").exists()


# --------------------------------------------------------------------------------------------------
# Verify


@pytest.mark.parametrize("kind", DATA_KINDS)
def test_verify_clearsigned_returns_the_text(
    kind: str, given: Callable[[str, Path], object]
) -> None:
    report = pgpsig.verify_clearsigned(given(kind, HELLO), given(kind, DEV))  # type: ignore[arg-type]
    assert report.ok
    assert report.text is not None
    assert report.text.startswith(b"Hello from pgpsig.\n")
    assert b"\r" not in report.text
    assert report.text.endswith(b"\n")
    assert [s.primary for s in report.signatures] == [DEV_FPR]


def test_verify_clearsigned_text_is_the_clis_output(tmp_path: Path) -> None:
    report = pgpsig.verify_clearsigned(HELLO, DEV)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pgpsig",
            "verify",
            str(HELLO),
            "--keyring",
            str(DEV),
            "-o",
            str(tmp_path / "cli.txt"),
        ],
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert report.text == (tmp_path / "cli.txt").read_bytes()


def test_verify_clearsigned_writes_the_text_only_when_it_verifies(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    report = pgpsig.verify_clearsigned(HELLO, [DEV], output=str(out))
    assert report.ok and report.text is None
    good = out.read_bytes()
    sink = io.BytesIO()
    assert pgpsig.verify_clearsigned(HELLO.read_bytes(), DEV, output=sink).ok
    assert sink.getvalue() == good
    forged = HELLO.read_bytes().replace(b"Hello from", b"Hallo from")
    out.write_bytes(b"old")
    sink = io.BytesIO()
    for target in (out, sink, None):
        report = pgpsig.verify_clearsigned(forged, DEV, output=target)
        assert not report.ok and report.text is None
    assert out.read_bytes() == b"old" and sink.getvalue() == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]  # no staged file left


def test_verify_clearsigned_under_a_policy_and_time() -> None:
    before = datetime(2025, 1, 1, 12, tzinfo=timezone.utc)
    report = pgpsig.verify_clearsigned(HELLO, DEV, policy="default", now=before)
    assert not report.ok and report.text is None


@pytest.mark.parametrize("kind", DATA_KINDS)
def test_verify_detached(tmp_path: Path, kind: str, given: Callable[[str, Path], object]) -> None:
    from pgpsig.sop import sign

    data = tmp_path / "data.bin"
    data.write_bytes(b"\x00binary\r\ndata\n" * 100)
    sig = tmp_path / "data.sig"
    now = datetime.now(timezone.utc) - timedelta(minutes=1)
    sig.write_bytes(sign(data.read_bytes(), [DEV_SECRET.read_bytes()], now=now)[0])
    report = pgpsig.verify_detached(given(kind, data), given(kind, sig), given(kind, DEV))  # type: ignore[arg-type]
    assert report.ok, report.summary()
    bad = tmp_path / "bad.bin"
    bad.write_bytes(data.read_bytes() + b"!")
    assert not pgpsig.verify_detached(given(kind, bad), given(kind, sig), DEV).ok  # type: ignore[arg-type]


def test_a_stream_read_in_small_pieces_is_read_whole(tmp_path: Path) -> None:
    """A keyring or signature given as a stream that returns little at a time loses nothing:
    a revocation or a bad signature at its end still counts."""
    from pgpsig.keys import revoke_key
    from pgpsig.sop import sign

    now = datetime.now(timezone.utc) - timedelta(minutes=1)
    data = b"payload\n"
    good = sign(data, [DEV_SECRET.read_bytes()], now=now, armor_out=False)[0]
    bad = bytearray(good)
    bad[-1] ^= 1
    rev = revoke_key(DEV_SECRET.read_bytes(), passphrase=None, reason="compromised", now=now)
    assert pgpsig.verify_detached(data, Trickle(good), Trickle(DEV.read_bytes())).ok
    assert not pgpsig.verify_detached(data, Trickle(good + bytes(bad)), DEV).ok
    revoked_ring = pgpsig.load_keyring(Trickle(DEV.read_bytes() + rev.revocation))
    assert not pgpsig.verify_detached(data, good, revoked_ring).ok


def test_output_may_be_a_write_only_sink() -> None:
    class Sink:
        def __init__(self) -> None:
            self.got = b""

        def write(self, data: bytes) -> int:
            self.got += data
            return len(data)

    sink = Sink()
    assert pgpsig.verify_clearsigned(HELLO, DEV, output=sink).ok  # type: ignore[arg-type]
    assert sink.got == pgpsig.verify_clearsigned(HELLO, DEV).text


def test_keyring_data_as_bytearray_and_a_key_in_a_str_is_refused() -> None:
    assert len(pgpsig.load_keyring(bytearray(DEV.read_bytes()))) == 1
    with pytest.raises(TypeError, match="give a key's armored text as bytes"):
        pgpsig.load_keyring(DEV.read_text(encoding="ascii"))


def test_data_errors_are_typed(tmp_path: Path) -> None:
    with pytest.raises(pgpsig.InputError, match="cannot read"):
        pgpsig.verify_clearsigned(str(tmp_path / "nosuch.asc"), DEV)
    with pytest.raises(pgpsig.InputError, match="cannot read signature"):
        pgpsig.verify_detached(HELLO, tmp_path / "nosuch.sig", DEV)
    with open(HELLO, encoding="ascii") as text, pytest.raises(TypeError, match="binary mode"):
        pgpsig.verify_clearsigned(text, DEV)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="bytes, a path"):
        pgpsig.verify_clearsigned(42, DEV)  # type: ignore[arg-type]
    with pytest.raises(pgpsig.FormatError):
        pgpsig.verify_clearsigned(b"not clear-signed\n", DEV)


# --------------------------------------------------------------------------------------------------
# Values


def test_reprs_are_short(module: Path) -> None:
    ring = pgpsig.load_keyring([MASTER, DEV])
    roots = pgpsig.TrustRoots.resolve(MASTER_FPR, ring)
    report = pgpsig.check_module(module, keyring=ring, roots=roots)
    verified = pgpsig.verify_clearsigned(HELLO, ring)
    shown = {
        repr(ring): "<Keyring: 2 certificate(s)>",
        repr(roots): f"TrustRoots(['{MASTER_FPR}'])",
        repr(report): "<ModuleReport example: 129 (GOOD|TRUSTED), 4 files checked, 0 details>",
        repr(
            verified
        ): f"<VerifyReport ok: 1 good signature(s), text={len(verified.text or b'')} bytes>",
    }
    for got, want in shown.items():
        assert got == want


def test_the_facade_lists_what_it_exports() -> None:
    for name in pgpsig.__all__:
        assert getattr(pgpsig, name) is not None, name
    assert set(dir(pgpsig)) == set(pgpsig.__all__)
    with pytest.raises(AttributeError):
        pgpsig.nosuch  # noqa: B018
