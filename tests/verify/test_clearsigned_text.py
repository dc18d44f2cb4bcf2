"""The clear-signed text path against a line-by-line reference: the hashed bytes and the LF text.

The decoder (:mod:`pgpsig.openpgp.clearsign`, through :func:`pgpsig.openpgp.cleartext.frame_text`)
canonicalises whole buffers at once (a regular expression pass for the dash-escapes, then one
``replace``, or ``split`` and an ``rstrip`` mapped over the lines when some line has trailing
whitespace), in slices of any size, from reads of any size. The rule it must
keep is per line (RFC 9580 section 7.1 and :mod:`pgpsig.openpgp.cleartext`), written out here
once more, one line at a time, as :func:`reference`:

* the text is the lines between the blank line after the headers and the
  ``-----BEGIN PGP SIGNATURE-----`` line; the LF before that line belongs to the frame;
* a line starting with ``"- "`` loses those two bytes; any other line starting with ``-`` ends
  the text: here it is never the signature line, so the input is malformed, at that line;
* every line loses its trailing spaces, tabs and CRs; lines are joined with CRLF (hashed);
* the verified text (``verify --output``, :class:`pgpsig.verify.LFText`) is the same lines joined
  with LF, each block's text ending with one LF.

Seeded random frames made of the awkward pieces (CR, LF, CRLF, runs of spaces and tabs, ``-``,
``- ``, ``From``, form feeds, NULs, UTF-8, long lines, armor-looking lines) are decoded from reads
and slices cut at random places, so a CR and its LF, a run of trailing spaces or a ``- `` fall
on every kind of boundary; the cases are the same on every run.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from typing import BinaryIO, cast

import pytest

from pgpsig.errors import ClearsignFormatError
from pgpsig.openpgp import armor, clearsign, cleartext
from pgpsig.verify import LFText

SIG = b"\xc2\x04fake signature packet" + bytes(range(40))
SIG_ARMOR = armor.encode("PGP SIGNATURE", SIG)
BEGIN = b"-----BEGIN PGP SIGNED MESSAGE-----\n"
HEADERS = b"Hash: SHA256\n\n"
FIRST_TEXT_LINE = 4  # BEGIN, Hash:, the blank line, then the text

PIECES = [
    b" ", b"  ", b"\t", b" \t ", b"\r", b"\r\r", b"\n", b"\n", b"\n", b"\r\n", b"\r\n", b" \r\n",
    b"-", b"- ", b"--", b"- -", b"From ", b"a", b"word", b"two words", b"\xc3\xa9", b"\xe8\xa8\xad",
    b"\x0c", b"\x00", b"\xff", b"\x0b", b"-----BEGIN PGP SIGNATURE-----", b"-----END PGP SIGNATURE-----",
    b"-----BEGIN PGP SIGNED MESSAGE-----", b"Hash: MD5",
]  # fmt: skip
LONG_PIECES = [b" ", b"\t", b"x", b"\r", b"ab ", b"\n"]
#: Lines that start with "-" and are not dash-escaped (nor the signature line): malformed text.
BAD_LINES = [b"-", b"--", b"-x", b"-\t", b"-\r", b"---", b"-----BEGIN PGP SIGNATURE"]


def reference(frame_text: bytes) -> tuple[bytes, bytes] | int:
    """The canonical (hashed) text and the LF text of a frame's text, or the number of the line
    that makes it malformed; ``frame_text`` is everything between the blank line and the
    ``-----BEGIN PGP SIGNATURE-----`` line, its final LF included (empty: no text line at all)."""
    lines = frame_text.split(b"\n")[:-1]  # the last LF is the frame's
    out = []
    for number, raw in enumerate(lines, FIRST_TEXT_LINE):
        if raw.startswith(b"- "):
            line = raw[2:]
        elif raw.startswith(b"-"):
            return number
        else:
            line = raw
        while line and line[-1:] in (b" ", b"\t", b"\r"):
            line = line[:-1]
        out.append(line)
    return b"\r\n".join(out), b"\n".join(out) + b"\n"


@dataclass
class Case:
    """One generated input: its blocks' frame texts and how it is read."""

    texts: list[bytes]
    read_sizes: list[int]  # the stream's reads, cycled: each returns at most this many bytes
    chunk_size: int  # what decode_stream asks each read for
    text_slice: int  # clearsign._TEXT_SLICE for this case

    def data(self) -> bytes:
        return b"".join(BEGIN + HEADERS + t + SIG_ARMOR for t in self.texts)


def source_text(rng: random.Random) -> bytes:
    """Random text made of the awkward pieces, sometimes with a long run of one of them."""
    parts = [rng.choice(PIECES) for _ in range(rng.randint(0, 60))]
    if rng.random() < 0.2:
        parts.insert(rng.randint(0, len(parts)), rng.choice(LONG_PIECES) * rng.randint(50, 3000))
    return b"".join(parts)


def frame_text(rng: random.Random, bad: bool) -> bytes:
    """A frame's text: the lines of a random text, dash-escaped as a signer would (and a few
    more), ending with the frame's LF; with ``bad``, one line starting with '-' left unescaped."""
    lines = source_text(rng).split(b"\n")
    if rng.random() < 0.3:
        lines.pop()  # the text's own last line break is then signed (an empty last line)
    escaped = [
        b"- " + line if line.startswith(b"-") or rng.random() < 0.15 else line for line in lines
    ]
    if bad:
        escaped.insert(rng.randint(0, len(escaped)), rng.choice(BAD_LINES) + rng.choice(PIECES))
        escaped = [line for part in escaped for line in part.split(b"\n")]
    if not escaped or (len(escaped) == 1 and not escaped[0] and rng.random() < 0.5):
        return b""  # no text line at all, or one empty line: both the empty text
    return b"\n".join(escaped) + b"\n"


def make_case(seed: int) -> Case:
    rng = random.Random(seed)
    texts = [frame_text(rng, bad=rng.random() < 0.1) for _ in range(rng.choice([1, 1, 1, 2, 3]))]
    return Case(
        texts=texts,
        read_sizes=[rng.choice([1, 2, 3, 7, 64, 255, 4096]) for _ in range(rng.randint(1, 5))],
        chunk_size=rng.choice([1, 2, 5, 16, 100, 1000, 65536]),
        text_slice=rng.choice([1, 2, 3, 10, 64, 1000, 65536]),
    )


class Pieces(io.RawIOBase):
    """``data``, read back in pieces of the given sizes (cycled), never more than asked."""

    def __init__(self, data: bytes, sizes: list[int]) -> None:
        self._data = data
        self._sizes = sizes
        self._pos = 0
        self._reads = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        want = self._sizes[self._reads % len(self._sizes)]
        self._reads += 1
        n = want if size < 0 else min(size, want)
        piece = self._data[self._pos : self._pos + n]
        self._pos += len(piece)
        return piece


class TextSink:
    """A block's sink as ``pgpsig verify`` has it: the hashed bytes, and the LF text."""

    def __init__(self, block: int, lf_text: LFText) -> None:
        self.block = block
        self.lf_text = lf_text
        self.parts: list[bytes] = []

    def update(self, canonical: bytes) -> None:
        self.parts.append(canonical)
        self.lf_text.write_canonical(self.block, canonical)


def decoded(case: Case) -> tuple[list[bytes], bytes] | int:
    """The canonical text of each block and the LF text, or the line of the format error."""
    written: list[bytes] = []
    lf_text = LFText(written.append)
    sinks: list[TextSink] = []

    def start(_hashes: tuple[str, ...]) -> clearsign.BlockSink:
        sinks.append(TextSink(len(sinks), lf_text))
        return sinks[-1]

    stream = cast("BinaryIO", Pieces(case.data(), case.read_sizes))
    try:
        infos = clearsign.decode_stream(stream, start, chunk_size=case.chunk_size)
    except ClearsignFormatError as exc:
        assert "must be dash-escaped" in str(exc), exc
        assert exc.line is not None
        return exc.line
    assert len(infos) == len(sinks) == len(case.texts)
    assert all(info.signature == SIG for info in infos)
    lf_text.finish(len(sinks))
    return [b"".join(s.parts) for s in sinks], b"".join(written)


def expected(case: Case) -> tuple[list[bytes], bytes] | int:
    canonical, lf_text = [], b""
    offset = 0  # lines of the blocks before this one
    for text in case.texts:
        ref = reference(text)
        if isinstance(ref, int):
            return offset + ref
        canonical.append(ref[0])
        lf_text += ref[1]
        offset += FIRST_TEXT_LINE + text.count(b"\n") + SIG_ARMOR.count(b"\n") - 1
    return canonical, lf_text


def test_whole_buffer_canonicalisation_equals_the_per_line_rule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    malformed = 0
    for seed in range(3000):
        case = make_case(seed)
        monkeypatch.setattr(clearsign, "_TEXT_SLICE", case.text_slice)
        want = expected(case)
        assert decoded(case) == want, f"seed {seed}: {case}"
        malformed += isinstance(want, int)
    assert 100 < malformed < 1000  # both outcomes are exercised


def test_the_generated_cases_reach_every_path() -> None:
    """The pieces above do make every kind of line the rule tells apart."""
    texts = b"".join(t for seed in range(3000) for t in make_case(seed).texts)
    for needle in (b" \n", b"\t\n", b"\r\n", b"\r\r\n", b"\n- -", b"\n- \n", b"\n- From"):
        assert needle in texts, needle
    assert max(map(len, texts.split(b"\n"))) > 2000


@pytest.mark.parametrize("seed", range(300))
def test_frame_text_and_canonical_lines_equal_the_per_line_rule(seed: int) -> None:
    rng = random.Random(seed)
    text = frame_text(rng, bad=rng.random() < 0.2)
    if not text:
        return  # no line: the decoder has nothing to convert
    lines = text[:-1]  # without the frame's LF, as the decoder hands them over
    want = reference(text)
    if isinstance(want, int):
        offsets = [0] + [i + 1 for i, byte in enumerate(lines) if byte == 0x0A]
        assert cleartext.frame_text(lines) == offsets[want - FIRST_TEXT_LINE]
    else:
        assert cleartext.frame_text(lines) == (want[0], lines.count(b"\n") + 1)
    plain = source_text(rng)
    split = plain.split(b"\n")
    assert cleartext.canonical_lines(plain) == b"\r\n".join(x.rstrip(b" \t\r") for x in split)


def test_in_memory_decode_agrees() -> None:
    for seed in range(0, 3000, 7):
        case = make_case(seed)
        want = expected(case)
        if isinstance(want, int):
            with pytest.raises(ClearsignFormatError) as info:
                clearsign.decode_all(case.data())
            assert info.value.line == want
        else:
            assert [b.canonical for b in clearsign.decode_all(case.data())] == want[0]
