"""Inline-signed messages read as a stream: every framing reads alike, limits hold at their boundary.

The messages are written with the vectors' independent OpenPGP writer (``vectors/generate.py``)
and framed here by hand: new- and old-format headers, partial body lengths, an old-format
indeterminate length, marker and padding packets, compression (ZIP, ZLIB, BZip2, nested), and a
source that gives a few octets per read. Signatures are not judged here (tests/sop does).
"""

from __future__ import annotations

import io
import random
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import compressed_body
from pgpsig.errors import LimitError, PacketError
from pgpsig.openpgp import message
from pgpsig.openpgp.ids import Tag

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "vectors"))
import generate as g  # noqa: E402 - the vectors' independent OpenPGP writer

DATA = bytes(range(256)) * 41 + b"tail"  # 10,500 octets: several partial parts
SIG = g.data_sig(g.ALICE, DATA)
MARKER = g.old_packet(10, b"PGP")
PADDING = bytes([0xC0 | 21, 5]) + b"\0" * 5


def new_packet(tag: int, body: bytes) -> bytes:
    return bytes([0xC0 | tag]) + g.new_length(len(body)) + body


def partial_packet(tag: int, body: bytes, power: int = 9) -> bytes:
    """``body`` in parts of 2**power octets (partial body lengths), then a last definite part."""
    out = [bytes([0xC0 | tag])]
    part = 1 << power
    while len(body) > part:
        out += [bytes([224 + power]), body[:part]]
        body = body[part:]
    out += [g.new_length(len(body)), body]
    return b"".join(out)


def indeterminate_packet(tag: int, body: bytes) -> bytes:
    """An old-format packet of indeterminate length: its body runs to the end of its data."""
    return bytes([0x80 | tag << 2 | 3]) + body


def one_pass(last: bool = True) -> bytes:
    body = bytes([3, g.SIG_BINARY, 8, g.ALICE.algorithm]) + g.ALICE.key_id + bytes([last])
    return g.old_packet(Tag.ONE_PASS, body)


def literal_body(data: bytes = DATA) -> bytes:
    return b"b\x04name" + g.T2.to_bytes(4, "big") + data


PLAIN = one_pass() + new_packet(Tag.LITERAL, literal_body()) + SIG


class Trickle:
    """A source that gives 1 to 7 octets per read: no reader may count on full reads."""

    def __init__(self, data: bytes, seed: int = 0) -> None:
        self._fp = io.BytesIO(data)
        self._rng = random.Random(seed)

    def read(self, n: int) -> bytes:
        return self._fp.read(min(n, self._rng.randint(1, 7)))


FRAMINGS: dict[str, bytes] = {
    "plain": PLAIN,
    "old-format literal": one_pass() + g.old_packet(Tag.LITERAL, literal_body()) + SIG,
    "partial literal": one_pass() + partial_packet(Tag.LITERAL, literal_body()) + SIG,
    "signatures before": SIG + new_packet(Tag.LITERAL, literal_body()),
    "markers and padding": MARKER
    + one_pass()
    + PADDING
    + new_packet(Tag.LITERAL, literal_body())
    + MARKER
    + SIG
    + PADDING,
    "uncompressed": new_packet(Tag.COMPRESSED, compressed_body(0, PLAIN)),
    "zip": new_packet(Tag.COMPRESSED, compressed_body(1, PLAIN)),
    "zlib": new_packet(Tag.COMPRESSED, compressed_body(2, PLAIN)),
    "bzip2": MARKER + new_packet(Tag.COMPRESSED, compressed_body(3, PLAIN)) + PADDING,
    "partial bzip2 of a partial literal": partial_packet(
        Tag.COMPRESSED,
        compressed_body(3, one_pass() + partial_packet(Tag.LITERAL, literal_body(), 10) + SIG),
        power=6,
    ),
    "indeterminate zlib": indeterminate_packet(Tag.COMPRESSED, compressed_body(2, PLAIN)),
    "indeterminate signature in zip": new_packet(
        Tag.COMPRESSED,
        compressed_body(
            1,
            one_pass()
            + new_packet(Tag.LITERAL, literal_body())
            + indeterminate_packet(Tag.SIGNATURE, g.packet_header_and_body(SIG)[1]),
        ),
    ),
    "nested three deep": new_packet(
        Tag.COMPRESSED,
        compressed_body(
            3,
            new_packet(
                Tag.COMPRESSED,
                compressed_body(1, new_packet(Tag.COMPRESSED, compressed_body(2, PLAIN))),
            ),
        ),
    ),
    "zlib with octets after its stream": new_packet(
        Tag.COMPRESSED, compressed_body(2, PLAIN) + b"junk"
    ),
}


def read_through(source: message._Stream) -> tuple[bytes, message.InlineMessage]:
    """The content ``read_inline`` hands on, and the message it returns."""
    chunks: list[bytes] = []

    def start(
        literal: message.LiteralData, ops: tuple[message.OnePass, ...], before: tuple[object, ...]
    ) -> Callable[[bytes], object]:
        assert (literal.format, literal.filename, literal.date) == ("b", b"name", g.T2)
        assert len(ops) + len(before) == 1
        return chunks.append

    msg = message.read_inline(source, start)
    return b"".join(chunks), msg


@pytest.mark.parametrize("name", FRAMINGS)
def test_every_framing_reads_alike(name: str) -> None:
    raw = FRAMINGS[name]
    for source in (io.BytesIO(raw), Trickle(raw, seed=len(name))):
        content, msg = read_through(source)
        assert content == DATA
        assert msg.literal.data == b""
        (sig,) = msg.signatures
        assert sig.issuer_fingerprints == (g.ALICE.fingerprint.hex().upper(),)
    assert message.parse_inline(raw).literal.data == DATA


def test_the_content_is_handed_on_in_bounded_chunks() -> None:
    big = b"\0" * (5 << 20) + b"end"
    raw = new_packet(
        Tag.COMPRESSED,
        compressed_body(3, one_pass() + partial_packet(Tag.LITERAL, literal_body(big), 20) + SIG),
    )
    sizes: list[int] = []
    total = [0]

    def start(*_: object) -> Callable[[bytes], object]:
        def sink(chunk: bytes) -> None:
            sizes.append(len(chunk))
            total[0] += len(chunk)

        return sink

    message.read_inline(io.BytesIO(raw), start)
    assert total[0] == len(big)
    assert max(sizes) <= 1 << 20


@pytest.mark.parametrize("algorithm", [0, 1, 2, 3])
def test_the_expansion_limit_holds_at_its_boundary(algorithm: int) -> None:
    raw = new_packet(Tag.COMPRESSED, compressed_body(algorithm, PLAIN))
    assert message.parse_inline(raw, limit=len(PLAIN)).literal.data == DATA
    with pytest.raises(LimitError, match="expands beyond"):
        message.parse_inline(raw, limit=len(PLAIN) - 1)


def test_the_expansion_limit_holds_at_every_level() -> None:
    inner = new_packet(Tag.COMPRESSED, compressed_body(2, PLAIN))
    raw = new_packet(Tag.COMPRESSED, compressed_body(3, inner))
    assert message.parse_inline(raw, limit=len(PLAIN)).literal.data == DATA
    with pytest.raises(LimitError):
        message.parse_inline(raw, limit=len(PLAIN) - 1)


def test_the_default_expansion_limit_is_read_when_called(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = new_packet(Tag.COMPRESSED, compressed_body(3, PLAIN))
    monkeypatch.setattr(message, "MAX_INLINE_BYTES", len(PLAIN) - 1)
    with pytest.raises(LimitError):
        message.parse_inline(raw)


def test_nesting_deeper_than_three_is_refused() -> None:
    raw = PLAIN
    for algorithm in (1, 2, 3, 2):
        raw = new_packet(Tag.COMPRESSED, compressed_body(algorithm, raw))
    with pytest.raises(LimitError, match="nested too deeply"):
        message.parse_inline(raw)


def test_signature_packets_are_bounded_together(monkeypatch: pytest.MonkeyPatch) -> None:
    ops_body = one_pass()[2:]
    sig_body = g.packet_header_and_body(SIG)[1]
    monkeypatch.setattr(message, "MAX_SIGNATURE_BYTES", len(ops_body) + len(sig_body))
    assert message.parse_inline(PLAIN).literal.data == DATA
    monkeypatch.setattr(message, "MAX_SIGNATURE_BYTES", len(ops_body) + len(sig_body) - 1)
    with pytest.raises(LimitError):
        message.parse_inline(PLAIN)


def test_a_huge_declared_signature_is_refused_before_it_is_read() -> None:
    huge = bytes([0x80 | Tag.SIGNATURE << 2 | 2]) + (0xFFFFFFF0).to_bytes(4, "big")
    with pytest.raises(LimitError):
        message.parse_inline(one_pass() + new_packet(Tag.LITERAL, literal_body()) + huge + SIG)


def test_signature_count_is_bounded() -> None:
    def msg(n: int) -> bytes:
        return (
            one_pass(False) * (n - 1)
            + one_pass()
            + new_packet(Tag.LITERAL, literal_body())
            + SIG * n
        )

    assert (
        len(
            message.read_inline(
                io.BytesIO(msg(3)), lambda *_: lambda c: None, max_signatures=3
            ).signatures
        )
        == 3
    )
    with pytest.raises(LimitError):
        message.read_inline(io.BytesIO(msg(4)), lambda *_: lambda c: None, max_signatures=3)


LIT = new_packet(Tag.LITERAL, literal_body())
MALFORMED: dict[str, bytes] = {
    "not signed": LIT,
    "two literals": one_pass() + LIT + LIT + SIG,
    "one-pass without its signature": one_pass() + LIT,
    "more signatures than one-pass packets": one_pass() + LIT + SIG + SIG,
    "signatures before and after": SIG + LIT + SIG,
    "one-pass after a signature": SIG + one_pass() + LIT + SIG,
    "encrypted": bytes([0xC0 | 18, 3]) + b"\x01ab" + one_pass() + LIT + SIG,
    "unknown packet": one_pass() + g.old_packet(13, b"user id") + LIT + SIG,
    "compressed next to a packet": one_pass()
    + new_packet(Tag.COMPRESSED, compressed_body(2, LIT + SIG)),
    "packet after a compressed one": new_packet(
        Tag.COMPRESSED, compressed_body(2, one_pass() + LIT)
    )
    + SIG,
    "empty compressed packet": new_packet(Tag.COMPRESSED, b""),
    "unknown compression": new_packet(Tag.COMPRESSED, b"\x63" + PLAIN),
    "corrupt zlib": new_packet(Tag.COMPRESSED, b"\x02" + b"\x78\x9c" + b"\xff" * 40),
    "corrupt bzip2": new_packet(Tag.COMPRESSED, b"\x03BZh9" + b"\x00" * 40),
    "truncated zlib": new_packet(Tag.COMPRESSED, compressed_body(2, PLAIN)[:-60]),
    "truncated partial body": partial_packet(Tag.LITERAL, literal_body())[:-3],
    "truncated literal header": one_pass() + new_packet(Tag.LITERAL, b"b\x09name") + SIG,
    "unknown literal format": one_pass() + new_packet(Tag.LITERAL, b"x" + literal_body()[1:]) + SIG,
    "partial length on a signature": one_pass() + LIT + bytes([0xC0 | Tag.SIGNATURE, 0xE9]) + SIG,
}


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_messages_raise_typed_errors(name: str) -> None:
    with pytest.raises(PacketError):
        message.parse_inline(MALFORMED[name])
