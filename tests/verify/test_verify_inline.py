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

from pgpsig import verify
from pgpsig import verify_inline as verify_inline_module
from pgpsig.certs.keyring import Keyring, keyring_from_bytes
from pgpsig.errors import LimitError
from pgpsig.openpgp import message, signature
from pgpsig.openpgp.signature import SignatureHash
from pgpsig.policy import policy_named
from pgpsig.report import SignatureResult, SigStatus
from pgpsig.verify_inline import verify_inline

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "vectors"))
import generate as g  # noqa: E402 - the vectors' independent OpenPGP writer

NOW = datetime(2025, 6, 1, tzinfo=timezone.utc)
RING = keyring_from_bytes(g.alice_cert())
MiB = 1 << 20


def one_pass(sig_type: int, hash_algorithm: int, key_id: bytes, *, last: bool = True) -> bytes:
    """A version 3 one-pass packet announcing a signature by the key ``key_id`` names."""
    body = bytes([3, sig_type, hash_algorithm, g.ALICE.algorithm]) + key_id + bytes([last])
    return g.old_packet(4, body)


def signed(
    data: bytes,
    *,
    sig_type: int = g.SIG_BINARY,
    announce: int | None = None,
    named: bytes = g.ALICE.key_id,
) -> bytes:
    """Alice's one-pass signed message over ``data``, ZLIB-compressed; ``announce``: the hash
    algorithm the one-pass packet names (default: the signature's, SHA-256); ``named``: the key
    ID it names (default: Alice's)."""
    payload = g.crlf(data) if sig_type == g.SIG_TEXT else data
    sig = g.standard_sign(g.ALICE, sig_type, payload, created=g.T2)
    ops = one_pass(sig_type, 8 if announce is None else announce, named)
    fmt = b"u" if sig_type == g.SIG_TEXT else b"b"
    inner = ops + g.old_packet(11, fmt + b"\0" + bytes(4) + data) + sig
    return g.old_packet(8, b"\x02" + zlib.compress(inner))


def verdicts(
    msg: bytes, output: Callable[[bytes], object] | None = None, ring: Keyring = RING
) -> list[SignatureResult]:
    results = verify_inline(
        io.BytesIO(msg), ring, policy=policy_named("default"), now=NOW, output=output
    )
    return [r for _, r in results]


def run(msg: bytes, output: Callable[[bytes], object] | None = None) -> list[SigStatus]:
    return [r.status for r in verdicts(msg, output)]


def count_hashers(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count every hash object made for a signature's digest, from now on (one list item each)."""
    made: list[int] = []
    new_hash = signature.new_hash

    def counting(version: int, hash_algorithm: int, salt: bytes = b"") -> SignatureHash:
        made.append(hash_algorithm)
        return new_hash(version, hash_algorithm, salt)

    for module in (message, signature, verify):
        monkeypatch.setattr(module, "new_hash", counting)
    return made


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


@pytest.mark.parametrize(
    "named", [g.BOB.key_id, bytes(8)], ids=["another key", "a wildcard of zeros"]
)
def test_a_one_pass_packet_not_naming_the_signer_hashes_nothing(
    named: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alice's good signature after the data, announced by a one-pass packet naming a key not in
    the keyring (or no key at all): not good, with its reason, and nothing hashed nor written
    (Sequoia, matching digests only, calls it good)."""
    made = count_hashers(monkeypatch)
    out: list[bytes] = []
    (result,) = verdicts(signed(b"data\n", named=named), out.append)
    assert result.status is SigStatus.MALFORMED
    assert "no one-pass signature packet naming its issuer" in (result.reason or "")
    assert (made, out) == ([], [])
    assert run(signed(b"data\n"), out.append) == [SigStatus.GOOD]  # the same, naming Alice
    assert made and out == [b"data\n"]  # the instrument counts


def test_a_one_pass_packet_naming_another_known_key_is_not_the_signers() -> None:
    """With Bob in the keyring too, his one-pass packet's digest is computed, but it is not
    Alice's: her signature is not good."""
    ring = keyring_from_bytes(g.alice_cert() + g.certificate(g.BOB, g.user_id(g.BOB, g.BOB_UID)))
    (result,) = verdicts(signed(b"data\n", named=g.BOB.key_id), ring=ring)
    assert result.status is SigStatus.MALFORMED
    (result,) = verdicts(signed(b"data\n"), ring=ring)
    assert result.status is SigStatus.GOOD


def test_one_pass_packets_naming_unknown_keys_hash_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """32 one-pass packets by a key not in the keyring (16 binary, 16 text, of four hash
    algorithms): no hash object is made, nothing is written, no signature is good."""
    data = b"line\n" * 1000
    algos = ["SHA256", "SHA384", "SHA512", "SHA1"]
    kinds = [(t, algos[i % 4]) for t in (g.SIG_BINARY, g.SIG_TEXT) for i in range(16)]
    sigs = [
        g.standard_sign(g.BOB, t, g.crlf(data) if t else data, created=g.T2, hash_name=h)
        for t, h in kinds
    ]
    ops = [
        one_pass(t, g.HASHES[h][0], g.BOB.key_id, last=i == len(kinds) - 1)
        for i, (t, h) in enumerate(kinds)
    ]
    inner = b"".join([*ops, g.old_packet(11, b"b\0" + bytes(4) + data), *reversed(sigs)])
    msg = g.old_packet(8, b"\x02" + zlib.compress(inner))
    made = count_hashers(monkeypatch)
    out: list[bytes] = []
    assert run(msg, out.append) == [SigStatus.UNKNOWN_KEY] * 32
    assert (made, out) == ([], [])


def test_hashing_beyond_one_digest_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Alice's binary SHA-256 and text SHA-512 signatures over 4 MiB: the second digest hashes 4
    MiB more, refused past a bound of 2 MiB, accepted under one of 4 MiB; one digest alone is
    never bounded."""
    data = b"line\r\n" * (4 * MiB // 6)
    kinds = [(g.SIG_BINARY, "SHA256"), (g.SIG_TEXT, "SHA512")]
    sigs = [g.standard_sign(g.ALICE, t, data, created=g.T2, hash_name=h) for t, h in kinds]
    ops = [
        one_pass(t, g.HASHES[h][0], g.ALICE.key_id, last=i == 1) for i, (t, h) in enumerate(kinds)
    ]
    inner = b"".join([*ops, g.old_packet(11, b"b\0" + bytes(4) + data), *reversed(sigs)])
    msg = g.old_packet(8, b"\x02" + zlib.compress(inner))
    monkeypatch.setattr(verify_inline_module, "MAX_EXTRA_HASHED", 2 * MiB)
    with pytest.raises(LimitError, match="2 digests of the data"):
        run(msg)
    assert not _threads()
    assert run(signed(data)) == [SigStatus.GOOD]
    monkeypatch.setattr(verify_inline_module, "MAX_EXTRA_HASHED", len(data))
    assert run(msg) == [SigStatus.GOOD, SigStatus.GOOD]


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
