"""Tests of pgpsig.openpgp.clearsign: frame rules, canonical text, streaming, real data, fuzzing.

The real clear-signed files are also checked cryptographically with a tiny test-only verifier
(v4 RSA, v4 EdDSA-legacy, v4/v6 Ed25519): that proves the decoder's canonical text is exactly
the bytes their signatures cover.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, cast

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes as crypto_hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pgpsig.errors import ClearsignFormatError, LimitError, PgpsigError
from pgpsig.openpgp import armor, clearsign, cleartext

# Made-up signature packet bytes: the frame decoder does not look inside them.
SIG = b"\xc2\x04fake signature packet" + bytes(range(40))
SIG_ARMOR = armor.encode("PGP SIGNATURE", SIG, [("Version", "test")])
BEGIN = b"-----BEGIN PGP SIGNED MESSAGE-----"
BEGIN_SIG = b"-----BEGIN PGP SIGNATURE-----"
END_SIG = b"-----END PGP SIGNATURE-----"


def frame(text: bytes, *, headers: bytes = b"Hash: SHA256\n", sig: bytes = SIG_ARMOR) -> bytes:
    """A frame whose text part (between the blank line and BEGIN SIGNATURE) is ``text``."""
    return BEGIN + b"\n" + headers + b"\n" + text + sig


def canonical_of(data: bytes) -> bytes:
    return clearsign.decode(data).canonical


# --------------------------------------------------------------------------------------------
# Canonical text of a frame

TEXT_CASES = {
    # frame text (up to BEGIN SIGNATURE) -> canonical text
    "one-line": (b"a\n", b"a"),
    "final-empty-line-is-text": (b"a\n\n", b"a\r\n"),
    "empty-text": (b"\n", b""),
    "only-empty-lines": (b"\n\n\n", b"\r\n\r\n"),
    "starts-with-empty-line": (b"\ntest\n\n", b"\r\ntest\r\n"),
    "trailing-spaces-and-tabs": (b"a \t \nb\t\n", b"a\r\nb"),
    "crlf": (b"a\r\nb\r\n\r\n", b"a\r\nb\r\n"),
    "stray-crs-at-line-end": (b"a\r\r\nb \r \n", b"a\r\nb"),
    "cr-inside-line-kept": (b"a\rb\n", b"a\rb"),
    "leading-whitespace-kept": (b"  a\n\tb\n", b"  a\r\n\tb"),
    "dash-escaped": (b"- -x\n- - y\n", b"-x\r\n- y"),
    "dash-escaped-from": (b"- From me\n", b"From me"),
    "dash-escape-of-plain-line": (b"- abc\n", b"abc"),
    "dash-space-only-is-empty-line": (b"- \nx\n", b"\r\nx"),
    "dash-escape-then-whitespace-stripped": (b"-  \t\n", b""),
    "escaped-begin-signature-is-text": (b"- " + BEGIN_SIG + b"\n", BEGIN_SIG),
    "escaped-begin-message-is-text": (b"- " + BEGIN + b"\n", BEGIN),
    "unescaped-from-is-fine": (b"From x\n", b"From x"),
    "form-feed-is-ordinary": (b"a\x0c\n\x0c\nb\x0c \n", b"a\x0c\r\n\x0c\r\nb\x0c"),
    "nul-and-high-bytes": (b"\x00\xff\xfe\n", b"\x00\xff\xfe"),
    "long-line": (b"x" * 300_000 + b" \n", b"x" * 300_000),
    "hash-looking-text": (b"Hash: MD5\n", b"Hash: MD5"),
}


@pytest.mark.parametrize("case", TEXT_CASES, ids=list(TEXT_CASES))
def test_canonical_text(case: str) -> None:
    text, expected = TEXT_CASES[case]
    decoded = clearsign.decode(frame(text))
    assert decoded.canonical == expected
    assert decoded.text == expected.replace(b"\r\n", b"\n")
    assert decoded.info.signature == SIG


def test_no_text_line_at_all_is_the_empty_text() -> None:
    decoded = clearsign.decode(BEGIN + b"\nHash: SHA1\n\n" + SIG_ARMOR)
    assert decoded.canonical == b""
    assert decoded.info.signature == SIG


def test_text_property_turns_crlf_into_lf_only() -> None:
    decoded = clearsign.decode(frame(b"a \r\nb\rc\n\n"))
    assert decoded.canonical == b"a\r\nb\rc\r\n"
    assert decoded.text == b"a\nb\rc\n"


# --------------------------------------------------------------------------------------------
# Headers

HASH_CASES = {
    "one": (b"Hash: SHA256\n", ("SHA256",)),
    "none-v6-style": (b"", ()),
    "comma-list": (b"Hash: SHA1,SHA256\n", ("SHA1", "SHA256")),
    "comma-list-with-spaces": (
        b"Hash: SHA512, SHA384 ,SHA3-256\n",
        ("SHA512", "SHA384", "SHA3-256"),
    ),
    "several-lines": (b"Hash: SHA1\nHash: SHA512\n", ("SHA1", "SHA512")),
    "case-insensitive-values": (b"Hash: sha256, Sha3-512\n", ("SHA256", "SHA3-512")),
    "deduplicated": (b"Hash: SHA1, sha1\nHash: SHA256,SHA1\n", ("SHA1", "SHA256")),
    "md5-is-known": (b"Hash: MD5\n", ("MD5",)),
    "every-name": (
        b"Hash: " + ",".join(clearsign.HASH_ALGORITHMS).encode() + b"\n",
        tuple(clearsign.HASH_ALGORITHMS),
    ),
    "no-space-after-colon": (b"Hash:SHA1\n", ("SHA1",)),
    "crlf-and-trailing-whitespace": (b"Hash: SHA1 \t\r\n", ("SHA1",)),
}


@pytest.mark.parametrize("case", HASH_CASES, ids=list(HASH_CASES))
def test_hash_headers(case: str) -> None:
    headers, expected = HASH_CASES[case]
    assert clearsign.decode(frame(b"x\n", headers=headers)).info.hashes == expected


def test_hash_algorithm_table() -> None:
    assert dict(clearsign.HASH_ALGORITHMS) == {
        "MD5": 1,
        "SHA1": 2,
        "RIPEMD160": 3,
        "SHA256": 8,
        "SHA384": 9,
        "SHA512": 10,
        "SHA224": 11,
        "SHA3-256": 12,
        "SHA3-512": 14,
    }


def test_framework_lines_tolerate_crlf_and_trailing_whitespace() -> None:
    data = frame(b"a\n", headers=b"Hash: SHA1\n").replace(b"\n", b" \t\r\n")
    decoded = clearsign.decode(data)
    assert decoded.canonical == b"a"
    assert decoded.info.hashes == ("SHA1",)
    assert decoded.info.signature == SIG


def test_armor_headers_and_missing_crc() -> None:
    no_crc = armor.encode(
        "PGP SIGNATURE", SIG, [("Version", "GnuPG v2"), ("Comment", "c")], crc=False
    )
    info = clearsign.decode(frame(b"a\n", sig=no_crc)).info
    assert info.armor_headers == (("Version", "GnuPG v2"), ("Comment", "c"))
    assert info.signature == SIG


def test_signature_armor_without_blank_line() -> None:
    body = armor.encode("PGP SIGNATURE", SIG).replace(BEGIN_SIG + b"\n\n", BEGIN_SIG + b"\n")
    assert clearsign.decode(frame(b"a\n", sig=body)).info.signature == SIG


def test_no_final_newline_after_end() -> None:
    data = frame(b"a\n").rstrip(b"\n")
    decoded = clearsign.decode(data)
    assert decoded.info.signature == SIG
    assert decoded.info.trailing == b""


# --------------------------------------------------------------------------------------------
# Violations: each with its line number

MALFORMED = {
    "empty-input": (b"", "no -----BEGIN PGP SIGNED MESSAGE", None),
    "no-block": (b"hello\nworld\n", "no -----BEGIN PGP SIGNED MESSAGE", None),
    "indented-begin-is-no-begin": (b" " + frame(b"a\n"), "no -----BEGIN PGP SIGNED", None),
    "begin-with-junk-is-no-begin": (
        frame(b"a\n").replace(BEGIN, BEGIN + b"x"),
        "no -----BEGIN",
        None,
    ),
    "not-dash-escaped-header": (
        frame(b"whatever\n", headers=b"Hash: SHA512\nNotDashEscaped: true\n"),
        "only 'Hash:' headers",
        3,
    ),
    "charset-header": (frame(b"a\n", headers=b"Charset: UTF-8\n"), "only 'Hash:'", 2),
    "comment-header": (frame(b"a\n", headers=b"Hash: SHA1\nComment: x\n"), "only 'Hash:'", 3),
    "lower-case-hash-key": (frame(b"a\n", headers=b"hash: SHA1\n"), "only 'Hash:'", 2),
    "indented-hash-header": (frame(b"a\n", headers=b" Hash: SHA1\n"), "only 'Hash:'", 2),
    "unknown-hash": (frame(b"a\n", headers=b"Hash: SHA256\nHash: SHA257\n"), "unknown hash", 3),
    "empty-hash": (frame(b"a\n", headers=b"Hash:\n"), "unknown hash", 2),
    "trailing-comma": (frame(b"a\n", headers=b"Hash: SHA1,\n"), "unknown hash", 2),
    "non-ascii-hash": (frame(b"a\n", headers=b"Hash: SHA\xff\n"), "unknown hash", 2),
    "text-right-after-begin": (BEGIN + b"\nhello\n" + BEGIN_SIG + b"\n", "only 'Hash:'", 2),
    "unescaped-dash-line": (frame(b"ok\n-not escaped\n"), "dash-escaped", 5),
    "lone-dash-line": (frame(b"-\n"), "dash-escaped", 4),
    "dash-tab-line": (frame(b"a\n-\tb\n"), "dash-escaped", 5),
    "other-armor-line-in-text": (frame(b"a\n-----BEGIN PGP MESSAGE-----\n"), "dash-escaped", 5),
    "begin-signature-with-junk": (
        frame(b"a\n", sig=b"-----BEGIN PGP SIGNATURE----- x\n"),
        "dash",
        5,
    ),
    "begin-without-anything": (BEGIN + b"\n", "ends inside the clear-signed headers", 1),
    "begin-without-newline": (BEGIN, "ends inside the clear-signed headers", 1),
    "eof-in-headers": (BEGIN + b"\nHash: SHA1\n", "ends inside the clear-signed headers", 2),
    "eof-in-text": (frame(b"a\nb\n", sig=b""), "ends before the -----BEGIN PGP SIGNATURE", 5),
    "eof-in-text-without-newline": (frame(b"a\nb", sig=b""), "ends before the -----BEGIN", 5),
    "eof-in-signature": (
        frame(b"a\n", sig=SIG_ARMOR.replace(END_SIG + b"\n", b"")),
        "ends before the -----END PGP SIGNATURE",
        SIG_ARMOR.count(b"\n") + 3,
    ),
    "wrong-end-label": (
        frame(b"a\n", sig=SIG_ARMOR.replace(END_SIG, b"-----END PGP MESSAGE-----")),
        "ends before the -----END PGP SIGNATURE",
        SIG_ARMOR.count(b"\n") + 4,
    ),
    "end-with-junk": (
        frame(b"a\n", sig=SIG_ARMOR.replace(END_SIG, END_SIG + b" x")),
        "ends before the -----END",
        SIG_ARMOR.count(b"\n") + 4,
    ),
    "bad-base64-in-signature": (
        frame(b"a\n", sig=BEGIN_SIG + b"\n\nAAAA\nAA*A\n" + END_SIG + b"\n"),
        "signature armor: invalid base64",
        8,
    ),
    "bad-crc-in-signature": (
        frame(b"a\nb\n", sig=armor.encode("PGP SIGNATURE", SIG).replace(b"\n=", b"\n=AAAA", 1)),
        "checksum",
        None,  # checked separately below
    ),
    "armor-header-without-blank-line": (
        frame(b"a\n", sig=BEGIN_SIG + b"\nVersion: 1\nAAAA\n" + END_SIG + b"\n"),
        "signature armor: malformed armor header",
        7,
    ),
    "empty-signature": (
        frame(b"a\n", sig=BEGIN_SIG + b"\n\n" + END_SIG + b"\n"),
        "signature armor is empty",
        5,
    ),
    "second-message-inside-signature": (
        frame(b"a\n", sig=BEGIN_SIG + b"\n\n" + frame(b"b\n")),
        "signature armor",
        None,
    ),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_malformed(case: str) -> None:
    data, message, line = MALFORMED[case]
    with pytest.raises(ClearsignFormatError, match=message) as info:
        clearsign.decode_all(data)
    if line is not None:
        assert info.value.line == line
    assert isinstance(info.value, ValueError)


def test_bad_crc_line_number_points_at_the_crc_line() -> None:
    data, _, _ = MALFORMED["bad-crc-in-signature"]
    with pytest.raises(ClearsignFormatError) as info:
        clearsign.decode(data)
    lines = data.split(b"\n")
    assert info.value.line is not None
    assert lines[info.value.line - 1].startswith(b"=AAAA")


def test_signature_size_limit() -> None:
    big = armor.encode("PGP SIGNATURE", os.urandom(5000))
    data = frame(b"a\n", sig=big)
    with pytest.raises(LimitError) as info:
        clearsign.decode_stream(
            io.BytesIO(data), lambda _h: hashlib.sha256(), max_signature_bytes=4000
        )
    assert info.value.line == 5
    assert clearsign.decode_stream(
        io.BytesIO(data), lambda _h: hashlib.sha256(), max_signature_bytes=8000
    )


def test_header_size_limit() -> None:
    with pytest.raises(LimitError):
        clearsign.decode(frame(b"a\n", headers=b"Hash: SHA1\n" * 10000))


def test_decode_requires_exactly_one_block() -> None:
    two = frame(b"a\n") + frame(b"b\n")
    with pytest.raises(ClearsignFormatError, match="found 2") as info:
        clearsign.decode(two)
    assert info.value.line == frame(b"a\n").count(b"\n") + 1
    assert len(clearsign.decode_all(two)) == 2


# --------------------------------------------------------------------------------------------
# Text around and between blocks; several blocks


def test_leading_and_trailing_text_is_reported_not_signed() -> None:
    data = b"leading\r\ntext\n" + frame(b"a\n") + b"trailing\nstuff"
    (decoded,) = clearsign.decode_all(data)
    assert decoded.canonical == b"a"
    assert decoded.info.leading == b"leading\r\ntext\n"
    assert decoded.info.trailing == b"trailing\nstuff"
    assert not decoded.info.leading_truncated
    assert not decoded.info.trailing_truncated
    assert decoded.info.begin_line == 3


def test_leading_and_trailing_are_bounded() -> None:
    lead = b"L" * 5000 + b"\n"
    trail = b"T\n" * 3000
    (decoded,) = clearsign.decode_all(lead + frame(b"a\n") + trail)
    assert decoded.info.leading == lead[:4096]
    assert decoded.info.leading_truncated
    assert decoded.info.trailing == trail[:4096]
    assert decoded.info.trailing_truncated


def test_exactly_4096_bytes_is_not_truncated() -> None:
    lead = b"x" * 4095 + b"\n"
    (decoded,) = clearsign.decode_all(lead + frame(b"a\n") + lead[:-1])
    assert decoded.info.leading == lead
    assert not decoded.info.leading_truncated
    assert decoded.info.trailing == lead[:-1]
    assert not decoded.info.trailing_truncated


def test_several_blocks_are_independent() -> None:
    first = frame(b"one\n\n", headers=b"Hash: SHA1\n")
    second = frame(b"- -two\n", headers=b"Hash: SHA512\n")
    data = b"intro\n" + first + b"middle\n" + second + b"outro\n"
    blocks = clearsign.decode_all(data)
    assert [b.canonical for b in blocks] == [b"one\r\n", b"-two"]
    assert [b.info.hashes for b in blocks] == [("SHA1",), ("SHA512",)]
    assert [b.info.leading for b in blocks] == [b"intro\n", b"middle\n"]
    assert [b.info.trailing for b in blocks] == [b"", b"outro\n"]
    assert blocks[0].info.begin_line == 2
    assert blocks[1].info.begin_line == 2 + first.count(b"\n") + 1


def test_a_bad_second_block_fails_the_whole_input() -> None:
    data = frame(b"a\n") + frame(b"-bad\n")
    with pytest.raises(ClearsignFormatError) as info:
        clearsign.decode_all(data)
    assert info.value.line == frame(b"a\n").count(b"\n") + 4


def test_armor_lookalikes_outside_blocks_are_just_text() -> None:
    data = SIG_ARMOR + frame(b"a\n") + BEGIN_SIG + b"\n"
    (decoded,) = clearsign.decode_all(data)
    assert decoded.info.leading == SIG_ARMOR
    assert decoded.info.trailing == BEGIN_SIG + b"\n"


# --------------------------------------------------------------------------------------------
# decode_stream: sinks, ordering, memory


class Recorder:
    def __init__(self, log: list[tuple[str, object]]) -> None:
        self.log = log
        self.parts: list[bytes] = []

    def update(self, canonical: bytes) -> None:
        self.log.append(("update", canonical))
        self.parts.append(canonical)


def test_start_block_is_called_with_hashes_before_any_text() -> None:
    log: list[tuple[str, object]] = []
    sinks: list[Recorder] = []

    def start(hashes: tuple[str, ...]) -> clearsign.BlockSink:
        log.append(("start", hashes))
        sinks.append(Recorder(log))
        return sinks[-1]

    data = frame(b"a\nb\n", headers=b"Hash: SHA1\n") + frame(b"c\n", headers=b"")
    infos = clearsign.decode_stream(io.BytesIO(data), start, chunk_size=3)
    assert [entry for entry in log if entry[0] == "start"] == [("start", ("SHA1",)), ("start", ())]
    assert log[0] == ("start", ("SHA1",))
    assert [b"".join(s.parts) for s in sinks] == [b"a\r\nb", b"c"]
    assert [i.hashes for i in infos] == [("SHA1",), ()]


def test_hashlib_objects_are_sinks() -> None:
    sink = hashlib.sha256()
    clearsign.decode_stream(io.BytesIO(frame(b"a \nb\n")), lambda _h: sink)
    assert sink.digest() == hashlib.sha256(b"a\r\nb").digest()


def test_chunk_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="chunk_size"):
        clearsign.decode_stream(io.BytesIO(b""), lambda _h: hashlib.sha256(), chunk_size=0)


class GeneratedStream(io.RawIOBase):
    """A stream of ``head + body * repeat + tail`` that never holds the whole content."""

    def __init__(self, head: bytes, body: bytes, repeat: int, tail: bytes) -> None:
        self._segments: Iterator[bytes] = iter([head, *([body] * repeat), tail])
        self._current = memoryview(b"")
        self.size = len(head) + len(body) * repeat + len(tail)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._current:
            nxt = next(self._segments, None)
            if nxt is None:
                return 0
            self._current = memoryview(nxt)
        count = min(len(buffer), len(self._current))
        buffer[:count] = self._current[:count]
        self._current = self._current[count:]
        return count


def messy_text_block(seed: int = 5, lines: int = 3000) -> bytes:
    """Text lines with many trailing spaces/tabs/CRs and many dash-escaped lines."""
    rng = random.Random(seed)
    words = [b"alpha", b"beta", b"gamma=1", b"path/to/file.php", b"\xc3\xa9t\xc3\xa9"]
    out = []
    for _ in range(lines):
        line = b" ".join(rng.choice(words) for _ in range(rng.randint(0, 10)))
        roll = rng.random()
        if roll < 0.3:
            line += b" " * rng.randint(1, 3)
        elif roll < 0.4:
            line += b"\t\r"
        elif roll < 0.55:
            line = b"- -" + line
        elif roll < 0.6:
            line = b"- From " + line
        out.append(line)
    return b"\n".join(out) + b"\n"


class Counter:
    def __init__(self) -> None:
        self.size = 0

    def update(self, canonical: bytes) -> None:
        self.size += len(canonical)


@pytest.mark.slow
def test_memory_is_bounded_on_a_50_mb_text() -> None:
    body = messy_text_block()
    repeat = 50_000_000 // len(body) + 1
    expected = len(clearsign.decode(frame(body)).canonical) + 2
    generated = GeneratedStream(BEGIN + b"\nHash: SHA256\n\n", body, repeat, SIG_ARMOR)
    stream = cast(BinaryIO, generated)
    counters: list[Counter] = []

    def start(_hashes: tuple[str, ...]) -> clearsign.BlockSink:
        counters.append(Counter())
        return counters[-1]

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        infos = clearsign.decode_stream(stream, start)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert infos[0].signature == SIG
    assert counters[0].size == expected * repeat - 2
    print(
        f"\ndecode_stream: {generated.size / 1e6:.0f} MB text, tracemalloc peak {peak / 1e6:.1f} MB"
    )
    assert peak < 8_000_000


def test_memory_with_a_long_leading_junk_line_is_bounded_by_that_line() -> None:
    stream = cast(BinaryIO, GeneratedStream(b"", b"j" * 100_000, 100, b"\n" + frame(b"a\n")))
    tracemalloc.start()
    try:
        infos = clearsign.decode_stream(stream, lambda _h: hashlib.sha256(), chunk_size=1 << 16)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert infos[0].leading_truncated
    assert peak < 40_000_000  # the 10 MB line, plus the join


def test_speed_sanity() -> None:
    body = messy_text_block()
    repeat = 50_000_000 // len(body) + 1
    data = BEGIN + b"\nHash: SHA256\n\n" + body * repeat + SIG_ARMOR
    start = time.perf_counter()
    clearsign.decode_stream(io.BytesIO(data), lambda _h: Counter())
    elapsed = time.perf_counter() - start
    clean = (
        BEGIN
        + b"\nHash: SHA256\n\n"
        + b"a plain manifest line = 0123456789abcdef\n" * (len(data) // 41)
        + SIG_ARMOR
    )
    start = time.perf_counter()
    clearsign.decode_stream(io.BytesIO(clean), lambda _h: Counter())
    clean_elapsed = time.perf_counter() - start
    print(
        f"\ndecode_stream: {len(data) / elapsed / 1e6:.0f} MB/s on messy text "
        f"(trailing whitespace, dash-escapes), {len(clean) / clean_elapsed / 1e6:.0f} MB/s on "
        f"clean text ({len(data) / 1e6:.0f} MB each)"
    )


# --------------------------------------------------------------------------------------------
# canonicalize and Canonicalizer


def reference_canonical(text: bytes, strip: bool) -> bytes:
    """Byte-at-a-time reference, written independently of the implementation."""
    out = bytearray()
    line = bytearray()
    previous = -1
    for byte in text:
        if strip:
            if byte == 0x0A:
                while line and line[-1] in b" \t\r":
                    line.pop()
                out += line + b"\r\n"
                line.clear()
            else:
                line.append(byte)
        else:
            if byte == 0x0A and previous != 0x0D:
                out += b"\r"
            out.append(byte)
        previous = byte
    if strip:
        while line and line[-1] in b" \t\r":
            line.pop()
        out += line
    return bytes(out)


@pytest.mark.parametrize(
    ("text", "stripped", "unstripped"),
    [
        (b"", b"", b""),
        (b"a\n", b"a\r\n", b"a\r\n"),
        (b"a \nb\t", b"a\r\nb", b"a \r\nb\t"),
        (b"a\r\nb\n", b"a\r\nb\r\n", b"a\r\nb\r\n"),
        (b"a\r\r\n", b"a\r\n", b"a\r\r\n"),
        (b"a\rb", b"a\rb", b"a\rb"),
        (b"\n\n", b"\r\n\r\n", b"\r\n\r\n"),
        (b"x \r", b"x", b"x \r"),
    ],
)
def test_canonicalize(text: bytes, stripped: bytes, unstripped: bytes) -> None:
    assert clearsign.canonicalize(text) == stripped
    assert clearsign.canonicalize(text, strip_whitespace=False) == unstripped


texts = st.lists(
    st.sampled_from(
        [b"a", b"b c", b" ", b"\t", b"\r", b"\n", b"\r\n", b"-", b"- ", b"From ", b"\x0c", b"\xff"]
    ),
    max_size=40,
).map(b"".join)


@given(st.one_of(texts, st.binary(max_size=200)), st.booleans())
def test_canonicalize_matches_reference(text: bytes, strip: bool) -> None:
    assert clearsign.canonicalize(text, strip_whitespace=strip) == reference_canonical(text, strip)


@given(
    st.one_of(texts, st.binary(max_size=200)),
    st.booleans(),
    st.lists(st.integers(0, 60), max_size=8),
)
def test_canonicalizer_streams_like_canonicalize(text: bytes, strip: bool, cuts: list[int]) -> None:
    canonicalizer = clearsign.Canonicalizer(strip_whitespace=strip)
    out = []
    pos = 0
    for cut in [*sorted(cuts), len(text)]:
        out.append(canonicalizer.feed(text[pos : max(pos, cut)]))
        pos = max(pos, cut)
    out.append(canonicalizer.feed(text[pos:]))
    out.append(canonicalizer.finish())
    assert b"".join(out) == clearsign.canonicalize(text, strip_whitespace=strip)


def test_canonicalizer_holds_back_only_trailing_whitespace() -> None:
    canonicalizer = clearsign.Canonicalizer()
    assert canonicalizer.feed(b"x" * 1000 + b"  ") == b"x" * 1000
    assert canonicalizer.feed(b"y\n z") == b"  y\r\n z"
    assert canonicalizer.finish() == b""
    raw = clearsign.Canonicalizer(strip_whitespace=False)
    assert raw.feed(b"a\r") == b"a"
    assert raw.feed(b"\nb\r") == b"\r\nb"
    assert raw.finish() == b"\r"


# --------------------------------------------------------------------------------------------
# encode


def test_encode_layout() -> None:
    out = clearsign.encode(b"-x\nFrom y\nz\n", SIG, ["sha256", "SHA1", "SHA256"])
    assert out.startswith(
        BEGIN + b"\nHash: SHA256,SHA1\n\n- -x\n- From y\nz\n\n" + BEGIN_SIG + b"\n"
    )
    assert out.endswith(END_SIG + b"\n")
    decoded = clearsign.decode(out)
    assert decoded.canonical == b"-x\r\nFrom y\r\nz\r\n"
    assert decoded.info.hashes == ("SHA256", "SHA1")
    assert decoded.info.signature == SIG


def test_encode_final_newline_rule() -> None:
    # One LF is always added before the signature armor; the text's own line ending is signed.
    assert canonical_of(clearsign.encode(b"a", SIG, ["SHA256"])) == b"a"
    assert canonical_of(clearsign.encode(b"a\n", SIG, ["SHA256"])) == b"a\r\n"
    assert canonical_of(clearsign.encode(b"", SIG, ["SHA256"])) == b""
    # gpg --clearsign layout for a text file ending in LF: drop that LF before encoding.
    gpg_like = clearsign.encode(b";# End", SIG, ["SHA1"])
    assert b";# End\n" + BEGIN_SIG in gpg_like


def test_encode_keeps_trailing_whitespace_in_the_frame() -> None:
    out = clearsign.encode(b"a  \nb\t", SIG, ["SHA256"])
    assert b"\na  \nb\t\n" + BEGIN_SIG in out
    assert canonical_of(out) == b"a\r\nb"


def test_encode_without_hash_header() -> None:
    out = clearsign.encode(b"x", SIG, [])
    assert out.startswith(BEGIN + b"\n\nx\n")
    assert clearsign.decode(out).info.hashes == ()


@pytest.mark.parametrize(
    ("hashes", "signature"), [(["SHA257"], SIG), (["SHA256"], b""), (["SHA-256"], SIG)]
)
def test_encode_refuses(hashes: list[str], signature: bytes) -> None:
    with pytest.raises(ClearsignFormatError):
        clearsign.encode(b"x", signature, hashes)


@given(
    st.one_of(texts, st.binary(max_size=300)),
    st.lists(st.sampled_from(sorted(clearsign.HASH_ALGORITHMS)), max_size=3),
)
@example(b"", [])
@example(b"-----BEGIN PGP SIGNATURE-----\n-----END PGP SIGNATURE-----\n", ["SHA1"])
@example(b"\r", ["SHA1"])
def test_encode_decode_round_trip(text: bytes, hashes: list[str]) -> None:
    decoded = clearsign.decode(clearsign.encode(text, SIG, hashes))
    assert decoded.canonical == clearsign.canonicalize(text)
    assert decoded.info.signature == SIG
    assert decoded.info.hashes == tuple(dict.fromkeys(hashes))


@given(st.lists(st.binary(max_size=30).filter(lambda b: b"\n" not in b), max_size=20))
def test_encode_decode_round_trip_lf_text(lines: list[bytes]) -> None:
    text = b"\n".join(lines)
    for candidate in (text, text + b"\n"):
        assert canonical_of(clearsign.encode(candidate, SIG, ["SHA512"])) == clearsign.canonicalize(
            candidate
        )


# --------------------------------------------------------------------------------------------
# Streaming equals in-memory; only PgpsigError on any input

FRAME_LINES = [
    BEGIN,
    BEGIN_SIG,
    END_SIG,
    b"",
    b"Hash: SHA256",
    b"Hash: sha1, SHA512",
    b"NotDashEscaped: x",
    b"- escaped",
    b"-bad",
    b"- ",
    b"text",
    b"text  ",
    b"\x0c",
    b"Version: 1",
    *armor.encode("PGP SIGNATURE", SIG).split(b"\n")[1:-2],
]


@st.composite
def frame_like(draw: st.DrawFn) -> bytes:
    """Mostly valid frames (with text around them), then a few mutations."""
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        parts.append(draw(st.sampled_from([b"", b"junk\n", b"\r\n", b"- \n"])))
        text = draw(texts)
        headers = draw(st.sampled_from([b"Hash: SHA256\n", b"", b"Hash: SHA1\r\nHash: MD5 \n"]))
        parts.append(frame(cleartext._dash_escape(text) + b"\n", headers=headers))
    data = bytearray(b"".join(parts))
    if draw(st.booleans()):
        data = data.replace(b"\n", b"\r\n")
    for _ in range(draw(st.integers(0, 4))):
        pos = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["line", "flip", "delete"]))
        if op == "line":
            data[pos:pos] = draw(st.sampled_from(FRAME_LINES)) + b"\n"
        elif op == "flip" and pos < len(data):
            data[pos] = draw(st.sampled_from(b"-\n\r :=Aa\x00"))
        else:
            del data[pos : pos + draw(st.integers(1, 40))]
    return bytes(data)


def outcome(data: bytes, chunk_size: int) -> object:
    texts: list[list[bytes]] = []

    def start(hashes: tuple[str, ...]) -> clearsign.BlockSink:
        texts.append([])
        recorder = Recorder([])
        recorder.parts = texts[-1]
        return recorder

    try:
        infos = clearsign.decode_stream(io.BytesIO(data), start, chunk_size=chunk_size)
    except PgpsigError as exc:
        return (type(exc), exc.line if hasattr(exc, "line") else None, str(exc))
    return (infos, [b"".join(t) for t in texts])


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(frame_like(), st.integers(1, 70))
def test_streaming_equals_in_memory(data: bytes, chunk_size: int) -> None:
    expected = outcome(data, len(data) + 1)
    assert outcome(data, chunk_size) == expected
    if isinstance(expected, tuple) and isinstance(expected[0], tuple):
        blocks = clearsign.decode_all(data)
        assert [b.info for b in blocks] == list(expected[0])


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(frame_like())
def test_mutated_frames_raise_only_pgpsig_errors(data: bytes) -> None:
    try:
        blocks = clearsign.decode_all(data)
    except PgpsigError:
        return
    assert blocks


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(st.binary(max_size=400), st.integers(1, 50))
def test_garbage_raises_only_pgpsig_errors(data: bytes, chunk_size: int) -> None:
    for candidate in (data, BEGIN + b"\n" + data, frame(b"a\n")[:60] + data):
        assert outcome(candidate, chunk_size) is not None


# --------------------------------------------------------------------------------------------
# Real data: rpgp, RFC 9580, FreePBX

GROCERY = b"From the grocery store we need:\r\n\r\n- tofu\r\n- vegetables\r\n- noodles\r\n\r\n"
RPGP = {
    # path under openpgp/: (hashes, canonical text, leading, trailing)
    "rpgp/csf/msg.csf": (("SHA512",), b"hello world\r\n", b"", b""),
    "rpgp/csf/empty.csf": (("SHA512",), b"", b"", b""),
    "rpgp/csf/starts-with-newline.csf": (("SHA512",), b"\r\ntest\r\n", b"", b""),
    "rpgp/cleartext/cleartext-msg-01.asc": (("SHA512",), GROCERY, b"", b""),
    "rpgp/cleartext/cleartext-msg-01-fail.asc": (("SHA512",), GROCERY, b"", b"other things\n"),
    "rpgp/cleartext/cleartext-msg-02-fail.asc": (
        ("SHA512",),
        GROCERY,
        b"leading text is not allowed\n",
        b"",
    ),
    "rpgp/rfc9580-hello/v4-ed25519-x25519/csf.msg": (("SHA512",), b"hello world\r\n", b"", b""),
    "rpgp/rfc9580-hello/v6-25519-annex-a-4/csf.msg": ((), b"hello world\r\n", b"", b""),
    "rpgp/rfc9580-hello/v6-ed25519-x448/csf.msg": ((), b"hello world\r\n", b"", b""),
    "rpgp/rfc9580-hello/v6-ed448-x448/csf.msg": (("SHA3-512",), b"hello world\r\n", b"", b""),
    "rpgp/rfc9580-hello/v6-nistp/csf.msg": ((), b"hello world\r\n", b"", b""),
    "rpgp/rfc9580-hello/v6-rsa/csf.msg": ((), b"hello world\r\n", b"", b""),
    "rfc9580-appendix-a/rfc9580-A6-cleartext-signed.asc": (
        (),
        b"What we need from the grocery store:\r\n\r\n- tofu\r\n- vegetables\r\n- noodles\r\n",
        b"",
        b"",
    ),
}


def test_every_rpgp_clear_signed_file_is_listed(conformance: Path) -> None:
    openpgp = conformance / "openpgp"
    found = {
        str(p.relative_to(openpgp))
        for p in [*openpgp.glob("rpgp/**/*"), *openpgp.glob("rfc9580-appendix-a/*")]
        if p.is_file() and BEGIN in p.read_bytes()
    }
    assert found == {*RPGP, "rpgp/csf/gpg.fail-notdash"}


@pytest.mark.parametrize("name", RPGP, ids=list(RPGP))
def test_rpgp_and_rfc_samples(conformance: Path, name: str) -> None:
    hashes, canonical, leading, trailing = RPGP[name]
    decoded = clearsign.decode((conformance / "openpgp" / name).read_bytes())
    assert decoded.info.hashes == hashes
    assert decoded.canonical == canonical
    assert decoded.info.leading == leading
    assert decoded.info.trailing == trailing
    assert decoded.info.signature[0] & 0x80


def test_gpg_fail_notdash_is_rejected(conformance: Path) -> None:
    with pytest.raises(ClearsignFormatError, match="NotDashEscaped") as info:
        clearsign.decode((conformance / "openpgp/rpgp/csf/gpg.fail-notdash").read_bytes())
    assert info.value.line == 3


def freepbx_sigs(conformance: Path) -> list[Path]:
    return sorted((conformance / "freepbx" / "cases").rglob("module.sig"))


def test_all_freepbx_module_sigs(conformance: Path) -> None:
    paths = freepbx_sigs(conformance)
    assert len(paths) == 148
    manifest_file = conformance / "freepbx" / "manifest.json"
    manifest = {e["case"]: e for e in json.loads(manifest_file.read_text())}
    empty = [p for p in paths if p.stat().st_size == 0]
    assert len(empty) == 1
    with pytest.raises(ClearsignFormatError):
        clearsign.decode(empty[0].read_bytes())
    listed: dict[tuple[str, ...], int] = {}
    for path in paths:
        if path in empty:
            continue
        data = path.read_bytes()
        decoded = clearsign.decode(data)
        case = str(path.parent.relative_to(conformance / "freepbx" / "cases"))
        entry = manifest.get(case)
        if entry is not None:
            assert decoded.info.hashes == (entry["armor_hash_header"],), case
        assert decoded.info.leading == b""
        assert decoded.info.trailing == b""
        assert decoded.text.startswith(b";"), case
        listed[decoded.info.hashes] = listed.get(decoded.info.hashes, 0) + 1
        # Streaming in small chunks gives the same canonical text.
        digest = hashlib.sha256()

        def start(
            _hashes: tuple[str, ...], sink: clearsign.BlockSink = digest
        ) -> clearsign.BlockSink:
            return sink

        clearsign.decode_stream(io.BytesIO(data), start, chunk_size=4093)
        assert digest.digest() == hashlib.sha256(decoded.canonical).digest()
    print(f"\nFreePBX module.sig Hash: headers: {listed}")
    assert listed == {("SHA1",): 145, ("SHA256",): 2}


# A tiny test-only OpenPGP verifier, enough to prove that the canonical texts are what the real
# signatures cover. (The project's own packet code lives elsewhere; this one is independent.)

HASHES = {
    2: "sha1",
    8: "sha256",
    9: "sha384",
    10: "sha512",
    11: "sha224",
    12: "sha3_256",
    14: "sha3_512",
}
CRYPTO_HASHES: dict[int, Callable[[], crypto_hashes.HashAlgorithm]] = {
    2: crypto_hashes.SHA1,
    8: crypto_hashes.SHA256,
    10: crypto_hashes.SHA512,
}


def packets(data: bytes) -> Iterator[tuple[int, bytes]]:
    pos = 0
    while pos < len(data):
        first = data[pos]
        if first & 0x40:  # new format
            tag = first & 0x3F
            octet = data[pos + 1]
            if octet < 192:
                length, pos = octet, pos + 2
            elif octet < 224:
                length, pos = ((octet - 192) << 8) + data[pos + 2] + 192, pos + 3
            else:
                assert octet == 255
                length, pos = int.from_bytes(data[pos + 2 : pos + 6], "big"), pos + 6
        else:
            tag = (first >> 2) & 0x0F
            size = {0: 1, 1: 2, 2: 4}[first & 3]
            length = int.from_bytes(data[pos + 1 : pos + 1 + size], "big")
            pos += 1 + size
        yield tag, data[pos : pos + length]
        pos += length


def mpi(data: bytes, pos: int) -> tuple[bytes, int]:
    bits = int.from_bytes(data[pos : pos + 2], "big")
    end = pos + 2 + (bits + 7) // 8
    return data[pos + 2 : end], end


def public_keys(data: bytes) -> dict[bytes, tuple[int, int, list[bytes]]]:
    """fingerprint -> (version, algorithm, key material) for RSA, EdDSA-legacy and Ed25519 keys."""
    keys = {}
    for tag, body in packets(data):
        if tag not in (5, 6, 7, 14):
            continue
        version, algorithm = body[0], body[5]
        if version == 4:
            pos, fields = 6, []
            if algorithm == 1:
                for _ in range(2):
                    value, pos = mpi(body, pos)
                    fields.append(value)
            elif algorithm == 22:
                pos += 1 + body[6]
                value, pos = mpi(body, pos)
                fields.append(value[1:])  # strip the 0x40 prefix
            elif algorithm == 27:
                fields.append(body[6:38])
                pos = 38
            else:
                continue
            public = body[:pos]
            fingerprint = hashlib.sha1(b"\x99" + len(public).to_bytes(2, "big") + public).digest()
        elif version == 6 and algorithm == 27:
            public = body[: 10 + int.from_bytes(body[6:10], "big")]
            fields = [body[10:42]]
            fingerprint = hashlib.sha256(b"\x9b" + len(public).to_bytes(4, "big") + public).digest()
        else:
            continue
        keys[fingerprint] = (version, algorithm, fields)
    return keys


def subpackets(area: bytes) -> Iterator[tuple[int, bytes]]:
    pos = 0
    while pos < len(area):
        octet = area[pos]
        if octet < 192:
            length, pos = octet, pos + 1
        elif octet < 255:
            length, pos = ((octet - 192) << 8) + area[pos + 1] + 192, pos + 2
        else:
            length, pos = int.from_bytes(area[pos + 1 : pos + 5], "big"), pos + 5
        yield area[pos] & 0x7F, area[pos + 1 : pos + length]
        pos += length


def verify(
    signature_packets: bytes, canonical: bytes, keys: dict[bytes, tuple[int, int, list[bytes]]]
) -> bool:
    """True if some signature verifies over ``canonical`` with a known key; None-like False else."""
    for tag, body in packets(signature_packets):
        assert tag == 2
        version, sig_type, algorithm, hash_id = body[0], body[1], body[2], body[3]
        assert sig_type == 0x01  # canonical text
        size = 4 if version == 6 else 2
        hashed_len = int.from_bytes(body[4 : 4 + size], "big")
        hashed_end = 4 + size + hashed_len
        unhashed_len = int.from_bytes(body[hashed_end : hashed_end + size], "big")
        pos = hashed_end + size + unhashed_len + 2
        issuers = [
            value
            for kind, value in [
                *subpackets(body[4 + size : hashed_end]),
                *subpackets(body[hashed_end + size : hashed_end + size + unhashed_len]),
            ]
            if kind in (16, 33)
        ]
        salt = b""
        if version == 6:
            salt = body[pos + 1 : pos + 1 + body[pos]]
            pos += 1 + body[pos]
        trailer = body[:hashed_end] + bytes([version, 0xFF]) + hashed_end.to_bytes(4, "big")
        message = salt + canonical + trailer
        for fingerprint, (_, key_algorithm, fields) in keys.items():
            if key_algorithm != algorithm or not any(fingerprint.endswith(i[-8:]) for i in issuers):
                continue
            try:
                if algorithm == 1:
                    n, e = (int.from_bytes(f, "big") for f in fields)
                    value, _ = mpi(body, pos)
                    key = rsa.RSAPublicNumbers(e, n).public_key()
                    key.verify(
                        value.rjust(key.key_size // 8, b"\0"),
                        message,
                        padding.PKCS1v15(),
                        CRYPTO_HASHES[hash_id](),
                    )
                elif algorithm == 22:
                    r, after = mpi(body, pos)
                    s, _ = mpi(body, after)
                    digest = hashlib.new(HASHES[hash_id], message).digest()
                    Ed25519PublicKey.from_public_bytes(fields[0]).verify(
                        r.rjust(32, b"\0") + s.rjust(32, b"\0"), digest
                    )
                else:
                    digest = hashlib.new(HASHES[hash_id], message).digest()
                    Ed25519PublicKey.from_public_bytes(fields[0]).verify(
                        body[pos : pos + 64], digest
                    )
            except InvalidSignature:
                return False
            return True
    raise LookupError("no key for this signature")


def all_keys(root: Path) -> dict[bytes, tuple[int, int, list[bytes]]]:
    keys: dict[bytes, tuple[int, int, list[bytes]]] = {}
    files = [*(root / "freepbx" / "keys").glob("*.key"), *(root / "openpgp").rglob("*.asc")]
    files += list((root / "openpgp" / "rpgp").rglob("tsk.asc"))
    for path in files:
        data = path.read_bytes()
        if BEGIN in data:
            continue
        for block in armor.decode_all(data):
            if "KEY BLOCK" in block.label:
                keys.update(public_keys(block.data))
    return keys


@pytest.mark.parametrize(
    "name",
    [
        "rpgp/csf/msg.csf",
        "rpgp/csf/empty.csf",
        "rpgp/csf/starts-with-newline.csf",
        "rpgp/cleartext/cleartext-msg-01.asc",
        "rpgp/cleartext/cleartext-msg-02-fail.asc",
        "rpgp/rfc9580-hello/v4-ed25519-x25519/csf.msg",
        "rpgp/rfc9580-hello/v6-25519-annex-a-4/csf.msg",
        "rpgp/rfc9580-hello/v6-ed25519-x448/csf.msg",
        "rfc9580-appendix-a/rfc9580-A6-cleartext-signed.asc",
    ],
)
def test_canonical_text_verifies_against_the_real_signature(conformance: Path, name: str) -> None:
    decoded = clearsign.decode((conformance / "openpgp" / name).read_bytes())
    keys = all_keys(conformance)
    assert verify(decoded.info.signature, decoded.canonical, keys)
    assert not verify(decoded.info.signature, decoded.canonical + b"\r\n", keys)


def test_freepbx_canonical_texts_verify_against_their_signatures(conformance: Path) -> None:
    keys = all_keys(conformance)
    manifest = json.loads((conformance / "freepbx" / "manifest.json").read_text())
    good = [
        e for e in manifest if "GOODSIG" in (e.get("gpg_with_bundled_keys") or {}).get("status", [])
    ]
    assert len(good) >= 100
    for entry in good:
        data = (conformance / "freepbx" / "cases" / entry["case"] / "module.sig").read_bytes()
        decoded = clearsign.decode(data)
        assert verify(decoded.info.signature, decoded.canonical, keys), entry["case"]
        # The final LF of the signed file (before BEGIN PGP SIGNATURE) is not signed.
        assert not verify(decoded.info.signature, decoded.canonical + b"\r\n", keys), entry["case"]
    print(f"\nverified {len(good)} FreePBX signatures over the decoder's canonical text")
