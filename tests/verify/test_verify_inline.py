"""Inline-signed messages verified while they stream (``pgpsig.verify_inline``).

The digests are fed chunk by chunk (1 MiB, a worker thread a few chunks behind the reader): a
text signature's canonical form must come out the same whatever the chunk boundaries cut (a CR
at the end of a chunk, its LF at the start of the next), and nothing a signature was not
announced for is ever good. The worker must never outlive the call, nor hide an error: a
failure to write the held-back data, or a limit reached mid-stream, is raised, and the thread is
gone.
"""

from __future__ import annotations

import io
import sys
import threading
import zlib
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pgpsig.certs.keyring import keyring_from_bytes
from pgpsig.errors import LimitError
from pgpsig.openpgp import message
from pgpsig.policy import policy_named
from pgpsig.report import SigStatus
from pgpsig.verify_inline import verify_inline

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "vectors"))
import generate as g  # noqa: E402 - the vectors' independent OpenPGP writer

NOW = datetime(2025, 6, 1, tzinfo=timezone.utc)
RING = keyring_from_bytes(g.alice_cert())
MiB = 1 << 20


def signed(data: bytes, *, sig_type: int = g.SIG_BINARY, announce: int | None = None) -> bytes:
    """Alice's one-pass signed message over ``data``, ZLIB-compressed; ``announce``: the hash
    algorithm the one-pass packet names (default: the signature's, SHA-256)."""
    payload = g.crlf(data) if sig_type == g.SIG_TEXT else data
    sig = g.standard_sign(g.ALICE, sig_type, payload, created=g.T2)
    algo = 8 if announce is None else announce
    ops = g.old_packet(4, bytes([3, sig_type, algo, g.ALICE.algorithm]) + g.ALICE.key_id + b"\x01")
    fmt = b"u" if sig_type == g.SIG_TEXT else b"b"
    inner = ops + g.old_packet(11, fmt + b"\0" + bytes(4) + data) + sig
    return g.old_packet(8, b"\x02" + zlib.compress(inner))


def run(msg: bytes, output: Callable[[bytes], object] | None = None) -> list[SigStatus]:
    results = verify_inline(
        io.BytesIO(msg), RING, policy=policy_named("default"), now=NOW, output=output
    )
    return [r.status for _, r in results]


def test_text_across_chunk_boundaries() -> None:
    """CR LF split between two chunks, a lone CR, a lone LF: canonicalised as in memory."""
    data = b"a" * (MiB - 1) + b"\r\n" + b"line\n" * 1000 + b"lone\rcr" + b"x" * MiB + b"\r"
    out: list[bytes] = []
    assert run(signed(data, sig_type=g.SIG_TEXT), out.append) == [SigStatus.GOOD]
    assert b"".join(out) == data  # the data as it is, not canonicalised


def test_binary_data_is_written_as_it_is() -> None:
    data = bytes(range(256)) * (3 * MiB // 256) + b"end"
    out: list[bytes] = []
    assert run(signed(data), out.append) == [SigStatus.GOOD]
    assert b"".join(out) == data


def test_a_digest_the_one_pass_packet_did_not_announce_is_never_good() -> None:
    assert run(signed(b"data\n", announce=10)) == [SigStatus.MALFORMED]


def test_nothing_is_written_when_no_signature_can_be_good() -> None:
    """Signatures before the data, by a key not in the keyring: no hashing, no output."""
    data = b"unknown signer\n"
    sig = g.standard_sign(g.BOB, g.SIG_BINARY, data, created=g.T2)
    out: list[bytes] = []
    assert run(sig + g.old_packet(11, b"b\0" + bytes(4) + data), out.append) == [
        SigStatus.UNKNOWN_KEY
    ]
    assert out == []


def _threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "pgpsig-inline-hash"}


def test_an_output_error_is_raised_and_the_worker_is_gone() -> None:
    calls = []

    def failing(chunk: bytes) -> None:
        calls.append(len(chunk))
        if len(calls) == 2:
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        run(signed(b"\0" * (8 * MiB)), failing)
    assert len(calls) == 2, "nothing is written after the error"
    assert not _threads()


def test_a_limit_reached_mid_stream_stops_the_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(message, "MAX_INLINE_BYTES", 5 * MiB)
    out: list[bytes] = []
    with pytest.raises(LimitError):
        run(signed(b"\0" * (8 * MiB)), out.append)
    assert not _threads()
    assert 0 < sum(map(len, out)) <= 5 * MiB


def test_no_thread_to_spare_hashes_in_the_callers_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under a thread limit ("can't start new thread"), the data is hashed and written inline:
    the same verdict and output, no worker, rather than a failed verification."""

    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    data = b"line\r\n" * (MiB // 3)
    out: list[bytes] = []
    assert run(signed(data, sig_type=g.SIG_TEXT), out.append) == [SigStatus.GOOD]
    assert b"".join(out) == data
    assert run(signed(b"data\n", announce=10)) == [SigStatus.MALFORMED]
    assert not _threads()


def test_no_thread_to_spare_still_raises_an_output_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    def failing(chunk: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    with pytest.raises(OSError, match="No space"):
        run(signed(b"\0" * (3 * MiB)), failing)
