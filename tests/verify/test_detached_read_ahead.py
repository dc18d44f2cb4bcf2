"""The data of a detached signature read ahead on another thread: same verdicts, same errors.

A large regular file is read on a reader thread while the signed data is hashed
(:func:`pgpsig.hashing.feed`); the thresholds are lowered here so that small files take that path.
"""

from __future__ import annotations

import errno
import io
import os
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from unittest import mock

import pytest

from pgpsig import hashing
from pgpsig.certs.keyring import Keyring, keyring_from_bytes
from pgpsig.errors import InputError
from pgpsig.keys.generate import generate_key
from pgpsig.openpgp.secretkey import load_signing_keys
from pgpsig.openpgp.signing import sign_detached
from pgpsig.policy import policy_named
from pgpsig.verify import verify_detached

NOW = datetime.now(timezone.utc)
SIZE = 3 * hashing.CHUNK + 5


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes, Keyring]:
    key = generate_key("Ahead <ahead@example.org>", now=NOW - timedelta(hours=1))
    data = os.urandom(SIZE)
    path = tmp_path_factory.mktemp("ahead") / "data.bin"
    path.write_bytes(data)
    sig = sign_detached(data, load_signing_keys(key.secret_key)[0], created=NOW)
    return path, sig, keyring_from_bytes(key.certificate)


@pytest.fixture
def readers() -> Iterator[list[str]]:
    """Files of a chunk or more read ahead; the names of the threads that read."""
    names: list[str] = []

    class Recording(io.FileIO):
        def readinto(self, b: memoryview) -> int | None:  # type: ignore[override]
            names.append(threading.current_thread().name)
            return super().readinto(b)

    real_open = Path.open

    def open_recording(self: Path, mode: str = "r", *args: object, **kw: object) -> object:
        if mode == "rb":
            return io.BufferedReader(Recording(self, "rb"))
        return real_open(self, mode, *args, **kw)  # type: ignore[call-overload]

    with (
        mock.patch.object(hashing, "AHEAD_MIN", hashing.CHUNK),
        mock.patch.object(hashing, "spare_core", return_value=True),
        mock.patch.object(Path, "open", open_recording),
    ):
        yield names


def pgpsig_threads() -> list[str]:
    """The threads of pgpsig's still alive (readers, hashers): none once a call has returned."""
    return [t.name for t in threading.enumerate() if t.name.startswith("pgpsig-")]


def verify(data: object, sig: bytes, ring: Keyring) -> bool:
    report = verify_detached(
        data,  # type: ignore[arg-type]
        sig,
        ring,
        policy=policy_named("default"),
        now=NOW + timedelta(minutes=1),
    )
    return report.ok


def test_a_large_file_read_ahead_verifies(
    signed: tuple[Path, bytes, Keyring], readers: list[str]
) -> None:
    path, sig, ring = signed
    assert verify(path, sig, ring)
    assert "pgpsig-readahead" in readers
    assert not pgpsig_threads()


def test_altered_data_read_ahead_does_not_verify(
    signed: tuple[Path, bytes, Keyring], readers: list[str], tmp_path: Path
) -> None:
    path, sig, ring = signed
    data = bytearray(path.read_bytes())
    data[2 * hashing.CHUNK + 1] ^= 1  # in the third chunk: read by the reader thread
    other = tmp_path / "altered.bin"
    other.write_bytes(data)
    assert not verify(other, sig, ring)
    assert "pgpsig-readahead" in readers


def test_a_read_error_in_the_reader_thread_is_an_input_error(
    signed: tuple[Path, bytes, Keyring], readers: list[str]
) -> None:
    path, sig, ring = signed

    class Failing(io.FileIO):
        calls = 0

        def readinto(self, b: memoryview) -> int | None:  # type: ignore[override]
            Failing.calls += 1
            readers.append(threading.current_thread().name)
            if Failing.calls == 3:
                raise OSError(errno.EIO, "Input/output error")
            return super().readinto(b)

    with Failing(path, "rb") as fp, pytest.raises(InputError, match="Input/output error"):
        verify(fp, sig, ring)
    assert Failing.calls == 3
    assert set(readers) == {"pgpsig-readahead"}  # the error was raised in the reader thread
    assert not pgpsig_threads()
