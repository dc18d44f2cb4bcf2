"""One armor block of a stream, decoded as it is read (:class:`ArmorReader`).

This module owns decoding armor in pieces, for input too large to hold whole (an armored
inline-signed message of up to :data:`~pgpsig.openpgp.armor.MAX_ARMOR_BYTES`); the rules, and the
decoding of the last lines of a block, are :mod:`pgpsig.openpgp.armor`'s, so that a stream is
accepted exactly when :func:`~pgpsig.openpgp.armor.decode_all` accepts it as one block.
"""

from __future__ import annotations

import binascii
import re
from typing import Protocol

from pgpsig.errors import ArmorError, LimitError
from pgpsig.openpgp.armor import (
    _BEGIN_LINE,
    _BEGIN_PREFIX,
    _CRC24_INIT,
    _END_PREFIX,
    _LINE_WS,
    _TRAILING_WS_EOL,
    MAX_ARMOR_BYTES,
    _check_end_line,
    _decode_body,
    _find_line_start,
    _line_end,
    _parse_headers,
    crc24,
)

__all__ = ["ArmorReader"]


class _Source(Protocol):
    def read(self, n: int, /) -> bytes: ...


#: Octets of armor an :class:`ArmorReader` reads at once.
_READ_CHUNK = 1 << 20
_BASE64_CHARS = re.compile(rb"[A-Za-z0-9+/]*")
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/\n]")
#: What ends header lines: a blank line, or the END line (then an error).
_HEADERS_STOP = re.compile(rb"\n(?:[ \t\r]*\n|" + _END_PREFIX + rb")")


class ArmorReader:
    """The one armor block of a stream, decoded as it is read: ``read(n)`` gives its data.

    It accepts what :func:`~pgpsig.openpgp.armor.decode_all` accepts as one block, by the same
    rules (:mod:`pgpsig.openpgp.armor`), holding about one chunk of armor rather than all of it:
    the BEGIN line and the headers are read when the reader is made (:attr:`label`,
    :attr:`headers`), the base64 lines as data is asked for, their CRC24 summed as they go and
    compared at the END line. Then the rest of the input is read: text after the block is ignored
    (as ``decode_all`` ignores it), but a line that begins another block is an error (one block
    only). ``read`` gives ``b""`` only after all of that, so a caller that reads to the end has
    met every error; what it read before an error (a CRC mismatch included) is not to be used.

    Raises (when made, or from ``read``):
        ArmorError: malformed armor, a CRC24 that does not match, a second block.
        LimitError: more than ``max_size`` octets of input (the block and what follows it).
        OSError: from ``source``.
    """

    def __init__(
        self, source: _Source, *, max_size: int = MAX_ARMOR_BYTES, chunk: int = _READ_CHUNK
    ) -> None:
        self._source = source
        self._max = max_size
        self._chunk = chunk
        self._taken = 0  # octets read from source
        self._eof = False
        self._buf = bytearray()  # armor read and not yet decoded; it starts at a line start
        self._line = 1  # the number of the line _buf starts with
        self._carry = b""  # base64 characters not decoded yet (fewer than four)
        self._crc = _CRC24_INIT
        self._out = b""
        self._pos = 0  # of what _out holds, the octets already read
        self._done = False
        self.label, self.headers = self._start()

    def _more(self) -> bool:
        """Append a chunk of input to the buffer; False at the end of the input."""
        if self._eof:
            return False
        data = self._source.read(min(self._chunk, self._max + 1 - self._taken))
        if not data:
            self._eof = True
            return False
        self._taken += len(data)
        if self._taken > self._max:
            raise LimitError(f"armored input exceeds the limit of {self._max} bytes")
        self._buf += data
        return True

    def _peek_line(self) -> bytes | None:
        """The line at the start of the buffer, with its LF, left there (None: no input left)."""
        searched = 0
        while (eol := self._buf.find(b"\n", searched)) < 0:
            searched = len(self._buf)
            if not self._more():
                return bytes(self._buf) or None  # the last line, without an LF
        return bytes(self._buf[: eol + 1])

    def _next_line(self) -> bytes | None:
        """The line at the start of the buffer, taken out with its LF (None: no input left)."""
        line = self._peek_line()
        if line is not None:
            del self._buf[: len(line)]
            self._line += 1
        return line

    def _start(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        """Read up to the first base64 line: the BEGIN line and the headers.

        Lines before the BEGIN line are ignored, as by :func:`~pgpsig.openpgp.armor.decode_all`.
        """
        line = self._next_line() if self._seek_begin() else None
        if line is None:
            raise ArmorError("no armor block found")
        self._begin_line = self._line - 1
        begin = _BEGIN_LINE.fullmatch(line.rstrip(_LINE_WS + b"\n"))
        if begin is None:
            raise ArmorError("malformed armor BEGIN line", line=self._begin_line)
        if not line.endswith(b"\n"):
            raise ArmorError(f"no -----END {begin.group(1).decode('ascii')}----- line")
        self._label = begin.group(1)
        label = self._label.decode("ascii")
        # As _parse_block: a blank first line, or a first line with a colon that starts headers.
        first = self._peek_line()
        if first is None or first.startswith(_END_PREFIX):
            return label, ()
        content = first.rstrip(_LINE_WS + b"\n")
        if not content:
            self._next_line()
            return label, ()
        if b":" not in content:
            return label, ()
        # The header lines end at a blank line; the END line (or the end) before it is an error.
        buf = self._buf
        searched = 0
        while (stop := _HEADERS_STOP.search(buf, searched)) is None:
            searched = max(buf.rfind(b"\n"), 0)
            if not self._more():
                break
        limit = len(buf)
        if stop is not None and stop.group().endswith(_END_PREFIX):
            limit = stop.start() + 1
        headers, after, self._line = _parse_headers(bytes(buf[:limit]), 0, limit, self._line)
        del buf[:after]
        return label, headers

    def _seek_begin(self) -> bool:
        """Drop the input before the first line that begins a block (False: there is none).

        Only the start of the last line (up to the length of the BEGIN prefix) is kept from one
        chunk to the next: skipped text costs no memory.
        """
        buf = self._buf
        while (at := _find_line_start(buf, _BEGIN_PREFIX, 0)) < 0:
            start = buf.rfind(b"\n") + 1
            self._line += buf.count(b"\n", 0, start)
            if len(buf) - start >= len(_BEGIN_PREFIX):
                buf[:] = b"x"  # the start of a line that is not a BEGIN line
            else:
                del buf[:start]
            if not self._more():
                return False
        self._line += buf.count(b"\n", 0, at)
        del buf[:at]
        return True

    def read(self, n: int = -1, /) -> bytes:
        """Up to ``n`` octets of the data (all that is left if ``n`` < 0); ``b""`` at the end."""
        if n < 0:
            parts = [self._out[self._pos :]]
            while not self._done:
                parts.append(self._decode())
            self._out, self._pos = b"", 0
            return b"".join(parts)
        while self._pos >= len(self._out):
            if self._done:
                return b""
            self._out, self._pos = self._decode(), 0
        piece = self._out[self._pos : self._pos + n]
        self._pos += len(piece)
        return piece

    def _decode(self) -> bytes:
        """The data of the next piece of the body (possibly empty); at the END line, the rest."""
        buf = self._buf
        end = _find_line_start(buf, _END_PREFIX, 0)
        if end >= 0:
            while buf.find(b"\n", end) < 0 and self._more():
                pass
            return self._finish(end)
        last = buf.rfind(b"\n")
        partial = last + 1  # where the last line, not ended yet, starts
        cut = 0
        if len(buf) - partial > max(self._chunk, len(_END_PREFIX)) and buf[partial] != ord("="):
            # A long line (neither the END line nor a checksum line): decode all of it but its
            # last base64 character and what may end it (padding, spaces), which stay where the
            # line starts: the lines after it are judged as if the line were whole.
            cut = partial + len(buf[partial:].rstrip(b" \t\r=")) - 1
        if cut <= partial:
            # Hold back the last three whole lines: the padding (up to two "=", on up to two
            # lines) and the checksum line are judged at the END line.
            cut = len(buf)
            for _ in range(4):
                cut = buf.rfind(b"\n", 0, max(cut, 0))
            cut += 1
        if cut > 0:
            data = self._middle(bytes(buf[:cut]))
            del buf[:cut]
            return data
        if not self._more():
            raise ArmorError(
                f"no -----END {self._label.decode('ascii')}----- line", line=self._begin_line
            )
        return b""

    def _middle(self, section: bytes) -> bytes:
        """Decode whole lines (and the start of a long one) that neither end nor close the body."""
        lines = section.count(b"\n")
        if b"\r\n" in section:
            section = section.replace(b"\r\n", b"\n")
        if b" \n" in section or b"\t\n" in section or b"\r\n" in section:
            section = _TRAILING_WS_EOL.sub(b"\n", section)
        if section.startswith(b"\n") or (blank := section.find(b"\n\n")) >= 0:
            at = 0 if section.startswith(b"\n") else section.count(b"\n", 0, blank) + 1
            raise ArmorError("blank line inside the base64 data", line=self._line + at)
        text = self._carry + section.translate(None, b"\n")
        if _BASE64_CHARS.fullmatch(text) is None:
            bad = _NOT_BASE64.search(section)
            at = section.count(b"\n", 0, bad.start()) if bad is not None else 0
            raise ArmorError("invalid base64 in armor", line=self._line + at)
        self._line += lines
        whole = len(text) - len(text) % 4
        self._carry = text[whole:]
        data = binascii.a2b_base64(text[:whole])
        self._crc = crc24(data, self._crc)
        return data

    def _finish(self, end: int) -> bytes:
        """Decode the lines before the END line at ``end``; check it and what follows it."""
        buf = self._buf
        data = _decode_body(bytes(buf[:end]), 0, end, self._line, carry=self._carry, crc=self._crc)
        end_line = self._line + buf.count(b"\n", 0, end)
        eol = _line_end(buf, end, len(buf))
        _check_end_line(bytes(buf[end:eol]), self._label, end_line)
        del buf[: eol + 1]
        self._line = end_line + 1
        if self._seek_begin():  # the rest is ignored, unless a line of it begins a block
            raise ArmorError("more than one armor block (expected one)", line=self._line)
        self._done = True
        return data
