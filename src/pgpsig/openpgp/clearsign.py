r"""The cleartext signature framework (RFC 9580 section 7): the strict, streaming frame decoder.

This module owns reading the clear-signed *frame*: finding each ``-----BEGIN PGP SIGNED MESSAGE-----``
block, its ``Hash:`` headers, the dash-escaped text, and the signature armor that ends it, and handing
on the canonical text a signature of type 0x01 covers (the rule of
:mod:`pgpsig.openpgp.cleartext`, which also writes frames). It is pure: bytes (or a binary stream)
in, values out, with no filesystem, clock or global state. The names of
:mod:`pgpsig.openpgp.cleartext` (:func:`canonicalize`, :class:`Canonicalizer`, :func:`encode`,
:data:`HASH_ALGORITHMS`) are re-exported here, so one import serves both directions.

Strict decoding (every violation raises :class:`~pgpsig.errors.ClearsignFormatError` with the
1-based line number; the armor of the signature follows :mod:`pgpsig.openpgp.armor`):

1. A line that is exactly ``-----BEGIN PGP SIGNED MESSAGE-----`` (trailing whitespace and CR
   on framework lines are tolerated everywhere).
2. Only ``Hash:`` headers: comma-separated names, several lines allowed, every name one of
   :data:`HASH_ALGORITHMS` (case-insensitive). Any other header (``NotDashEscaped:``,
   ``Charset:``, ...) is an error. No ``Hash:`` header at all is allowed (v6 signatures).
3. One empty line ends the headers.
4. The text. A line starting with ``-`` must be either dash-escaped (``"- "``) or the line
   ``-----BEGIN PGP SIGNATURE-----``, which ends the text. Lines are taken exactly as split on
   LF: form feeds, NULs and very long lines are ordinary bytes.
5. The signature armor up to ``-----END PGP SIGNATURE-----``: optional armor headers, base64,
   optional CRC24. Its decoded size is bounded by ``max_signature_bytes``.

Text before the first block, between blocks and after the last one is not an error: it is
returned (bounded to 4096 bytes) in :class:`FrameInfo` so the caller can report it; it is never
part of any canonical text. Several blocks are decoded in order and independently.

Left out on purpose: the signature packets themselves (the decoder does not check that the
signature's hash algorithm is listed in ``Hash:``; the caller knows the packets and must), hash
policy (MD5 is a *known* name here), verification, and reading files.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import BinaryIO, Protocol

from pgpsig._dataclass import dataclass, replace
from pgpsig.errors import ArmorError, ClearsignFormatError, LimitError
from pgpsig.openpgp import armor
from pgpsig.openpgp.cleartext import (
    BEGIN_MESSAGE,
    HASH_ALGORITHMS,
    Canonicalizer,
    canonicalize,
    encode,
    frame_text,
)
from pgpsig.openpgp.cleartext import LINE_WHITESPACE as _LINE_WS

__all__ = [
    "HASH_ALGORITHMS",
    "MAX_LINE_BYTES",
    "READ_CHUNK",
    "BlockSink",
    "Canonicalizer",
    "ClearSigned",
    "FrameInfo",
    "canonicalize",
    "decode",
    "decode_all",
    "decode_stream",
    "encode",
]

_BEGIN_SIGNATURE = b"-----BEGIN PGP SIGNATURE-----"
_END_SIGNATURE = b"-----END PGP SIGNATURE-----"
_LF = 0x0A
_OUTSIDE_KEEP = 4096  # bytes of leading/trailing text kept for the report
#: Bytes read at once. Not 1 MiB: glibc serves such fresh buffers (and each piece cut from them)
#: with mmap and munmap, a page fault per 4 KiB touched: 0.2 s of system time over 200 MB of
#: clear-signed text, against 0.02 s in 256 KiB reads (measured, bench/README.md; the decoder
#: also needs :func:`_keep_freed_memory` for that).
READ_CHUNK = 256 * 1024
_TEXT_SLICE = 64 * 1024  # text is canonicalised in slices of about this size (bounds memory)
_MAX_HEADER_BYTES = 64 * 1024  # a real frame has one short Hash: line
MAX_LINE_BYTES = 16 * 1024 * 1024
"""Longest line (in bytes, without its LF) :func:`decode_stream` accepts: memory is bounded by it."""
_HEAP_HINT = 1 << 20  # see _keep_freed_memory
_HASH_HEADER = re.compile(rb"Hash:[ \t]*(.*)", re.DOTALL)

_SEEK, _HEADERS, _TEXT, _SIGNATURE = range(4)


class BlockSink(Protocol):
    """Receiver of one block's canonical text, e.g. a hash object."""

    def update(self, canonical: bytes, /) -> None:
        """Take the next chunk of the block's canonical text."""


@dataclass(frozen=True, slots=True)
class FrameInfo:
    """Everything about one clear-signed block except its canonical text.

    Attributes:
        hashes: Names from the ``Hash:`` headers, upper-case, in order, without duplicates;
            ``()`` when there is no ``Hash:`` header.
        signature: The dearmored signature packets (binary).
        armor_headers: The headers of the signature armor (``Version:``, ``Comment:``).
        leading: Bytes before this block's BEGIN line (for a later block: bytes between the
            previous block's END line and this BEGIN line), at most the first 4096.
        leading_truncated: True when ``leading`` was cut to 4096 bytes.
        trailing: Only on the last block: bytes after its END line, at most the first 4096.
        trailing_truncated: True when ``trailing`` was cut to 4096 bytes.
        begin_line: 1-based line number of the ``-----BEGIN PGP SIGNED MESSAGE-----`` line.
    """

    hashes: tuple[str, ...]
    signature: bytes
    armor_headers: tuple[tuple[str, str], ...]
    leading: bytes
    leading_truncated: bool
    trailing: bytes
    trailing_truncated: bool
    begin_line: int


@dataclass(frozen=True, slots=True)
class ClearSigned:
    """One decoded clear-signed block.

    Attributes:
        info: The frame: hash names, signature packets, text around the block.
        canonical: Exactly the bytes the signature hashes (CRLF line breaks, trailing whitespace
            removed, dash-escaping undone, no final line break from the frame).
    """

    info: FrameInfo
    canonical: bytes

    @property
    def text(self) -> bytes:
        """The signed content to show or output: ``canonical`` with CRLF turned into LF.

        Trailing whitespace stays removed: it is not covered by the signature.
        """
        return self.canonical.replace(b"\r\n", b"\n")


def _only_whitespace(data: bytes) -> bool:
    return not data.strip(_LINE_WS)


def _find_line(buf: bytes, needle: bytes, pos: int) -> int:
    """Offset of the first line at or after ``pos`` that is ``needle`` plus optional whitespace.

    ``pos`` must be the start of a line and ``buf`` must end with LF.
    """
    size = len(needle)
    while True:
        i = buf.find(needle, pos)
        if i < 0:
            return -1
        eol = buf.find(b"\n", i)
        if (i == pos or buf[i - 1] == _LF) and _only_whitespace(buf[i + size : eol]):
            return i
        pos = eol + 1


class _Outside:
    """Collects the bytes outside any block, keeping only the first few kilobytes."""

    __slots__ = ("_kept", "_total")

    def __init__(self) -> None:
        self._kept = bytearray()
        self._total = 0

    def add(self, buf: bytes, start: int, end: int) -> None:
        room = _OUTSIDE_KEEP - len(self._kept)
        if room > 0 and end > start:
            self._kept += buf[start : min(end, start + room)]
        self._total += end - start

    def drop_last(self) -> None:
        """Forget the last byte added (the LF the parser appended to an unterminated last line)."""
        self._total -= 1
        del self._kept[self._total :]

    @property
    def total(self) -> int:
        return self._total

    def take(self) -> tuple[bytes, bool]:
        """The kept bytes and whether more was seen; then start over."""
        result = (bytes(self._kept), self._total > len(self._kept))
        self._kept = bytearray()
        self._total = 0
        return result


class _FrameParser:
    """The state machine of the decoder. ``feed`` takes complete lines only."""

    def __init__(
        self, start_block: Callable[[tuple[str, ...]], BlockSink], max_signature_bytes: int
    ) -> None:
        self._start_block = start_block
        self._max_signature_bytes = max_signature_bytes
        self._state = _SEEK
        self._line = 1  # number of the line at the current position
        self._frames: list[FrameInfo] = []
        self._outside = _Outside()
        self._begin_line = 0
        self._leading: tuple[bytes, bool] = (b"", False)
        self._hashes: list[str] = []
        self._header_bytes = 0
        self._sink: BlockSink | None = None
        self._text_started = False
        self._signature_line = 0
        self._signature_parts: list[bytes] = []
        self._signature_size = 0

    @property
    def line(self) -> int:
        """The 1-based number of the line at the current position."""
        return self._line

    def feed(self, buf: bytes) -> None:
        pos, size = 0, len(buf)
        while pos < size:
            if self._state == _SEEK:
                pos = self._seek(buf, pos)
            elif self._state == _HEADERS:
                pos = self._header(buf, pos)
            elif self._state == _TEXT:
                pos = self._text(buf, pos)
            else:
                pos = self._signature(buf, pos)

    def finish(self, tail: bytes) -> tuple[FrameInfo, ...]:
        if tail:
            # An unterminated last line is parsed as if it ended with LF; that LF is not data.
            self.feed(tail + b"\n")
            if self._state == _SEEK and self._outside.total:
                self._outside.drop_last()
        last_line = self._line - 1  # errors at the end of input point at its last line
        if self._state == _HEADERS:
            raise ClearsignFormatError("input ends inside the clear-signed headers", line=last_line)
        if self._state == _TEXT:
            raise ClearsignFormatError(
                "input ends before the -----BEGIN PGP SIGNATURE----- line", line=last_line
            )
        if self._state == _SIGNATURE:
            raise ClearsignFormatError(
                "input ends before the -----END PGP SIGNATURE----- line", line=last_line
            )
        if not self._frames:
            raise ClearsignFormatError("no -----BEGIN PGP SIGNED MESSAGE----- line found")
        trailing, truncated = self._outside.take()
        self._frames[-1] = replace(
            self._frames[-1], trailing=trailing, trailing_truncated=truncated
        )
        return tuple(self._frames)

    # (1) Outside any block: look for the BEGIN line.
    def _seek(self, buf: bytes, pos: int) -> int:
        begin = _find_line(buf, BEGIN_MESSAGE, pos)
        end = len(buf) if begin < 0 else begin
        self._outside.add(buf, pos, end)
        self._line += buf.count(b"\n", pos, end)
        if begin < 0:
            return end
        self._leading = self._outside.take()
        self._begin_line = self._line
        self._line += 1
        self._hashes = []
        self._header_bytes = 0
        self._state = _HEADERS
        return buf.index(b"\n", begin) + 1

    # (2), (3) Hash: headers up to the empty line.
    def _header(self, buf: bytes, pos: int) -> int:
        eol = buf.index(b"\n", pos)
        self._header_bytes += eol + 1 - pos
        if self._header_bytes > _MAX_HEADER_BYTES:
            raise LimitError(
                f"clear-signed headers longer than {_MAX_HEADER_BYTES} bytes", line=self._line
            )
        content = buf[pos:eol].rstrip(_LINE_WS)
        if not content:
            self._sink = self._start_block(tuple(self._hashes))
            self._text_started = False
            self._state = _TEXT
        else:
            match = _HASH_HEADER.fullmatch(content)
            if match is None:
                shown = content[:40].decode("ascii", "replace")
                raise ClearsignFormatError(
                    f"only 'Hash:' headers are allowed in a clear-signed message, got {shown!r}",
                    line=self._line,
                )
            for item in match.group(1).split(b","):
                name = item.strip(b" \t").decode("ascii", "replace").upper()
                if name not in HASH_ALGORITHMS:
                    raise ClearsignFormatError(
                        f"unknown hash algorithm {name[:40]!r} in the Hash: header",
                        line=self._line,
                    )
                if name not in self._hashes:
                    self._hashes.append(name)
        self._line += 1
        return eol + 1

    # (4) The dash-escaped text, up to the BEGIN PGP SIGNATURE line.
    def _text(self, buf: bytes, pos: int) -> int:
        size = len(buf)
        stop = size
        while pos < size:
            cut = buf.rfind(b"\n", pos, pos + _TEXT_SLICE)
            if cut < 0:  # a line longer than the slice: take it whole
                cut = buf.index(b"\n", pos + _TEXT_SLICE)
            bad = self._emit_text(buf[pos:cut])
            if bad >= 0:
                stop = pos + bad
                break
            pos = cut + 1
        if stop == size:
            return stop
        eol = buf.index(b"\n", stop)
        if buf[stop:eol].rstrip(_LINE_WS) != _BEGIN_SIGNATURE:
            raise ClearsignFormatError(
                "a text line starting with '-' must be dash-escaped ('- ') "
                "or be -----BEGIN PGP SIGNATURE-----",
                line=self._line,
            )
        self._sink = None
        self._signature_line = self._line
        self._signature_parts = []
        self._signature_size = 0
        self._line += 1
        self._state = _SIGNATURE
        return eol + 1

    def _emit_text(self, lines: bytes) -> int:
        """Canonicalise complete text lines (the last one's LF excluded) and pass them on.

        Returns:
            -1, or the offset in ``lines`` of the first line that starts with ``-`` without
            being dash-escaped: the frame's text ends before it, and only the lines before it
            are passed on.
        """
        converted = frame_text(lines)
        if isinstance(converted, int):
            if converted:
                self._emit_text(lines[: converted - 1])
            return converted
        canonical, count = converted
        self._line += count
        assert self._sink is not None
        if self._text_started:
            self._sink.update(b"\r\n")  # the line break before these lines is now known to be text
        self._text_started = True
        self._sink.update(canonical)
        return -1

    # (5) The signature armor, up to its END line.
    def _signature(self, buf: bytes, pos: int) -> int:
        end_line = _find_line(buf, _END_SIGNATURE, pos)
        end = len(buf) if end_line < 0 else end_line
        self._signature_size += end - pos
        if self._signature_size > self._max_signature_bytes:
            raise LimitError(
                f"signature armor longer than {self._max_signature_bytes} bytes",
                line=self._signature_line,
            )
        self._signature_parts.append(buf[pos:end])
        self._line += buf.count(b"\n", pos, end)
        if end_line < 0:
            return end
        body = b"".join(self._signature_parts)
        self._signature_parts = []
        try:
            block = armor.decode(_BEGIN_SIGNATURE + b"\n" + body + _END_SIGNATURE + b"\n")
        except ArmorError as exc:
            line = None if exc.line is None else self._signature_line + exc.line - 1
            reason = str(exc).removeprefix(f"line {exc.line}: ")
            raise ClearsignFormatError(f"signature armor: {reason}", line=line) from exc
        if not block.data:
            raise ClearsignFormatError("the signature armor is empty", line=self._signature_line)
        leading, leading_truncated = self._leading
        self._frames.append(
            FrameInfo(
                hashes=tuple(self._hashes),
                signature=block.data,
                armor_headers=block.headers,
                leading=leading,
                leading_truncated=leading_truncated,
                trailing=b"",
                trailing_truncated=False,
                begin_line=self._begin_line,
            )
        )
        self._line += 1
        self._state = _SEEK
        return buf.index(b"\n", end_line) + 1


def _keep_freed_memory(chunk_size: int) -> None:
    """Have the C allocator keep the memory of freed chunks for the next ones (glibc).

    Each chunk of text makes a few short-lived buffers of about its size. glibc's malloc gives
    the free top of its heap back to the system as soon as it passes a threshold (128 KiB at
    first) and faults the same pages in again for the next chunk: 120,000 page faults and
    0.3-0.4 s of system time over a 200 MB text read in 256 KiB chunks. glibc raises that
    threshold to twice the size of the largest block it served with mmap, once that block is
    freed (up to 32 MiB): one block of four chunks (at least :data:`_HEAP_HINT`), allocated and
    freed here, is enough. ``bytes(n)`` is zeroed by calloc, which leaves mmap's fresh pages
    untouched, so this costs two system calls; with another allocator it changes nothing.
    """
    bytes(max(_HEAP_HINT, 4 * chunk_size))


def decode_stream(
    stream: BinaryIO,
    start_block: Callable[[tuple[str, ...]], BlockSink],
    *,
    chunk_size: int = READ_CHUNK,
    max_signature_bytes: int = 1 << 20,
    max_line_bytes: int = MAX_LINE_BYTES,
) -> tuple[FrameInfo, ...]:
    """Decode one or more clear-signed blocks from a binary stream, streaming their text.

    For each block, ``start_block(hashes)`` is called as soon as its ``Hash:`` headers are read;
    the returned sink then receives the block's canonical text in successive chunks. Memory is
    bounded by about ``chunk_size`` plus the longest line, whatever the size of the text.

    A sink may have received text of a block that later turns out to be malformed: only a normal
    return means every block was well formed. A line (text, header, armor or text outside the
    blocks) longer than ``max_line_bytes`` is refused, so memory stays bounded however the input
    is laid out.

    Args:
        stream: Binary input, read with ``read(chunk_size)`` until it returns ``b""``.
        start_block: Called once per block with its hash names; returns that block's sink.
        chunk_size: Bytes per read.
        max_signature_bytes: Refuse a signature armor longer than this.
        max_line_bytes: Refuse a line longer than this.

    Returns:
        One :class:`FrameInfo` per block, in input order.

    Raises:
        ClearsignFormatError: The input breaks a rule of the framework (see the module
            docstring), including the armor rules for the signature.
        LimitError: The signature armor, the header section or a line is too long.
        ValueError: ``chunk_size`` is smaller than 1.

    Exceptions raised by ``stream.read`` or by a sink propagate unchanged.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    parser = _FrameParser(start_block, max_signature_bytes)
    pending: list[bytes] = []  # pieces of a line whose LF has not been read yet
    held = 0  # their total size

    def too_long() -> LimitError:
        return LimitError(f"a line longer than {max_line_bytes} bytes", line=parser.line)

    reads = 0
    while True:
        data = stream.read(chunk_size)
        if not data:
            break
        reads += 1
        if reads == 2:
            _keep_freed_memory(chunk_size)
        cut = data.rfind(b"\n")
        if cut < 0:
            pending.append(data)
            held += len(data)
            if held > max_line_bytes:
                raise too_long()
            continue
        if pending:
            if held + data.find(b"\n") > max_line_bytes:
                raise too_long()
            pending.append(data[: cut + 1])
            complete = b"".join(pending)
            pending = []
            held = 0
        else:
            complete = data if cut == len(data) - 1 else data[: cut + 1]
        if cut < len(data) - 1:
            pending.append(data[cut + 1 :])
            held = len(data) - cut - 1
        del data
        parser.feed(complete)
        del complete
    if held > max_line_bytes:
        raise too_long()
    return parser.finish(b"".join(pending))


class _CollectingSink:
    __slots__ = ("parts",)

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def update(self, canonical: bytes, /) -> None:
        self.parts.append(canonical)


def decode_all(data: bytes) -> tuple[ClearSigned, ...]:
    """Decode every clear-signed block in ``data``, with its canonical text.

    Built on :func:`decode_stream`, so the rules are the same.

    Args:
        data: The whole input, e.g. the bytes of a ``module.sig`` file.

    Returns:
        One :class:`ClearSigned` per block, in input order.

    Raises:
        ClearsignFormatError: The input breaks a rule of the framework, or has no block.
        LimitError: The signature armor or the header section is too long.
    """
    sinks: list[_CollectingSink] = []

    def start_block(_hashes: tuple[str, ...]) -> BlockSink:
        sink = _CollectingSink()
        sinks.append(sink)
        return sink

    infos = decode_stream(io.BytesIO(data), start_block)
    return tuple(
        ClearSigned(info=info, canonical=b"".join(sink.parts))
        for info, sink in zip(infos, sinks, strict=True)
    )


def decode(data: bytes) -> ClearSigned:
    """Decode input that holds exactly one clear-signed block.

    Args:
        data: The whole input.

    Returns:
        The block with its canonical text.

    Raises:
        ClearsignFormatError: The input breaks a rule of the framework, or holds no block or
            more than one.
        LimitError: The signature armor or the header section is too long.
    """
    blocks = decode_all(data)
    if len(blocks) != 1:
        raise ClearsignFormatError(
            f"expected one clear-signed message, found {len(blocks)}",
            line=blocks[1].info.begin_line,
        )
    return blocks[0]
