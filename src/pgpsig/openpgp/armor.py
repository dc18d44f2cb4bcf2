"""ASCII armor (RFC 9580 section 6): decode and encode armored OpenPGP data.

This module owns the armor container only: the BEGIN and END lines and their label, the armor
headers (kept as data, in order, never interpreted), the base64 body and the optional CRC24
checksum. It is pure: bytes in, values out.

Decoding rules:

* The BEGIN and END labels must be equal.
* CRLF line endings and trailing spaces or tabs on any armor line are tolerated (as gpg does).
* Header lines have the form ``Key: Value`` (or ``Key:`` with an empty value); any other line in
  the header section is an error, and a blank line must end the header section. The form without
  headers and without the blank line, where base64 starts right after the BEGIN line, is accepted
  (gpg accepts it too; a base64 line never contains a colon, so the two cannot be confused).
* The base64 body is strict: only the base64 alphabet, no blank lines inside it, padding only at
  its very end, length a multiple of four.
* The checksum line (``=`` followed by four base64 characters) is optional; when present it must
  match the CRC24 of the decoded data.
* Input larger than ``max_size`` bytes raises :class:`~pgpsig.errors.LimitError` before any work.

Every error is an :class:`~pgpsig.errors.ArmorError` (or ``LimitError``) carrying the 1-based line
number of the offending line; nothing else escapes :func:`decode` or :func:`decode_all`.

Left out on purpose: the cleartext signature framework (``-----BEGIN PGP SIGNED MESSAGE-----``,
see :mod:`pgpsig.openpgp.clearsign`), the meaning of the packets inside, the meaning of header values,
multi-part messages (``PGP MESSAGE, PART x/y`` is decoded as one ordinary block), and reading
files.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterator, Sequence

from pgpsig._dataclass import dataclass
from pgpsig.errors import ArmorError, LimitError

__all__ = [
    "MAX_ARMOR_BYTES",
    "ArmorBlock",
    "crc24",
    "decode",
    "decode_all",
    "encode",
    "is_armored",
    "iter_blocks",
]

MAX_ARMOR_BYTES: int = 64 * 1024 * 1024
#: Header lines an armor block may have (gpg writes one or two, a ``Comment:`` or ``Version:``):
#: twelve million of them (the 64 MiB of armor allow it) cost 10 s and 1.1 GB to keep.
MAX_ARMOR_HEADERS: int = 256
"""Armored input larger than this many bytes is refused with :class:`~pgpsig.errors.LimitError`."""

_LINE_WS = b" \t\r"
_LF = 0x0A
_BEGIN_PREFIX = b"-----BEGIN "
_END_PREFIX = b"-----END "
# A label is printable ASCII without "-" (RFC 9580 labels such as "PGP MESSAGE, PART 1/2" fit).
_LABEL = rb"[\x20-\x2c\x2e-\x7e]+"
_BEGIN_LINE = re.compile(rb"-----BEGIN (" + _LABEL + rb")-----")
_END_LINE = re.compile(rb"-----END (" + _LABEL + rb")-----")
_LABEL_STR = re.compile(_LABEL.decode("ascii"))
# gpg's rule: a key without colon or space, then ":" followed by a space or the end of the line.
_HEADER_LINE = re.compile(rb"([\x21-\x39\x3b-\x7e]+):(?: (.*))?", re.DOTALL)
_HEADER_KEY_STR = re.compile(r"[\x21-\x39\x3b-\x7e]+")
_BASE64 = re.compile(rb"[A-Za-z0-9+/]*={0,2}")
_BASE64_LINE = re.compile(rb"[A-Za-z0-9+/]*(?:={1,2})?")
_CRC_LINE = re.compile(rb"[A-Za-z0-9+/]{4}")
_TRAILING_WS_EOL = re.compile(rb"[ \t\r]+\n")
_LEADING_WS = re.compile(rb"[ \t\r\n]*")
_ARMORED_START = re.compile(rb"[ \t\r\n]*-----BEGIN PGP ")

_CRC24_INIT = 0xB704CE
_CRC24_POLY = 0x1864CFB
_CRC24_TABLE_LIMIT = 1024  # below this size the byte table is faster than polynomial folding
_CRC24_FOLD_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class ArmorBlock:
    """One decoded armor block.

    Attributes:
        label: The text between ``-----BEGIN `` and ``-----``, e.g. ``"PGP SIGNATURE"``.
        headers: The armor headers as ``(key, value)`` pairs, in input order, uninterpreted.
            Values are decoded as UTF-8; invalid bytes become U+FFFD.
        data: The decoded binary payload.
    """

    label: str
    headers: tuple[tuple[str, str], ...]
    data: bytes


# --------------------------------------------------------------------------------------------
# CRC24 (RFC 9580 section 6.1)


def _make_crc24_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= _CRC24_POLY
        table.append(crc & 0xFFFFFF)
    return tuple(table)


_CRC24_TABLE: tuple[int, ...] = _make_crc24_table()


def _clmul(a: int, b: int) -> int:
    """Carry-less product of polynomial ``a`` (any size) and ``b`` (small), over GF(2)."""
    result = 0
    while b:
        low = b & -b
        result ^= a << (low.bit_length() - 1)
        b ^= low
    return result


def _mod_small(a: int) -> int:
    """``a`` modulo the CRC24 polynomial, for small ``a``, by long division."""
    n = a.bit_length()
    while n > 24:
        a ^= _CRC24_POLY << (n - 25)
        n = a.bit_length()
    return a


def _x_pow_mod(k: int) -> int:
    """The polynomial ``x**k`` modulo the CRC24 polynomial."""
    result, base = 1, 2
    while k:
        if k & 1:
            result = _mod_small(_clmul(result, base))
        base = _mod_small(_clmul(base, base))
        k >>= 1
    return result


def _poly_mod(a: int) -> int:
    """``a`` modulo the CRC24 polynomial, halving ``a`` per step with big-integer operations.

    ``a = hi * x**k + lo`` is congruent to ``lo + hi * (x**k mod P)``, and the product with the
    24-bit ``x**k mod P`` is a handful of shifts and XORs that CPython runs at C speed.
    """
    n = a.bit_length()
    while n > 64:
        k = n // 2
        hi = a >> k
        a = (a & ((1 << k) - 1)) ^ _clmul(hi, _x_pow_mod(k))
        n = a.bit_length()
    return _mod_small(a)


def crc24(data: bytes, crc: int = _CRC24_INIT) -> int:
    """Compute the OpenPGP CRC24 checksum of ``data`` (RFC 9580 section 6.1).

    Args:
        data: The binary (decoded) data.
        crc: The checksum of the data before ``data``, when it comes in pieces.

    Returns:
        The 24-bit checksum as an integer.
    """
    if len(data) < _CRC24_TABLE_LIMIT:
        table = _CRC24_TABLE
        for byte in data:
            crc = ((crc << 8) & 0xFFFFFF) ^ table[(crc >> 16) ^ byte]
        return crc
    # The register after a chunk is (register * x**(8n) + chunk * x**24) mod P.
    for start in range(0, len(data), _CRC24_FOLD_CHUNK):
        chunk = data[start : start + _CRC24_FOLD_CHUNK]
        crc = _poly_mod((crc << (8 * len(chunk))) ^ (int.from_bytes(chunk, "big") << 24))
    return crc


# --------------------------------------------------------------------------------------------
# Decoding


def is_armored(data: bytes) -> bool:
    """Tell whether ``data`` looks like OpenPGP armor.

    Args:
        data: Any bytes.

    Returns:
        True when the first non-whitespace bytes are ``-----BEGIN PGP ``.
    """
    return _ARMORED_START.match(data) is not None


def _line_at(data: bytes, offset: int) -> int:
    """The 1-based number of the line that contains ``offset``."""
    return data.count(b"\n", 0, offset) + 1


def _check_size(data: bytes, max_size: int) -> None:
    if len(data) > max_size:
        raise LimitError(
            f"armored input of {len(data)} bytes exceeds the limit of {max_size} bytes"
        )


def _find_line_start(data: bytes | bytearray, prefix: bytes, pos: int) -> int:
    """Offset of the first line at or after ``pos`` (a line start) that begins with ``prefix``."""
    while True:
        i = data.find(prefix, pos)
        if i < 0:
            return -1
        if i == pos or data[i - 1] == _LF:
            return i
        eol = data.find(b"\n", i)
        if eol < 0:
            return -1
        pos = eol + 1


def _line_end(data: bytes | bytearray, start: int, limit: int) -> int:
    """Offset of the LF ending the line at ``start``, or ``limit`` if there is none before it."""
    eol = data.find(b"\n", start, limit)
    return limit if eol < 0 else eol


def _parse_headers(
    data: bytes, start: int, limit: int, line: int
) -> tuple[tuple[tuple[str, str], ...], int, int]:
    """Parse header lines from ``start`` up to and including the blank line that ends them.

    Returns:
        The headers, the offset of the first line after the blank line, and that line's number.
    """
    headers: list[tuple[str, str]] = []
    pos = start
    while pos < limit:
        eol = _line_end(data, pos, limit)
        content = data[pos:eol].rstrip(_LINE_WS)
        pos = eol + 1
        if not content:
            return tuple(headers), pos, line + 1
        match = _HEADER_LINE.fullmatch(content)
        if match is None:
            raise ArmorError(
                "malformed armor header line (expected 'Key: Value' or a blank line)", line=line
            )
        if len(headers) >= MAX_ARMOR_HEADERS:
            raise LimitError(f"more than {MAX_ARMOR_HEADERS} armor header lines (line {line})")
        value = match.group(2) or b""
        headers.append((match.group(1).decode("ascii"), value.decode("utf-8", "replace")))
        line += 1
    raise ArmorError("missing blank line after the armor headers", line=line)


def _bad_base64_line(payload: bytes, first_line: int) -> int:
    """Line number of the first line of ``payload`` that is not a valid base64 line."""
    lines = payload.split(b"\n")
    last = len(lines) - 1
    for index, content in enumerate(lines):
        match = _BASE64_LINE.fullmatch(content)
        if match is None or (index != last and content.endswith(b"=")):
            return first_line + index
    return first_line + last


def _decode_body(
    data: bytes,
    start: int,
    limit: int,
    line: int,
    *,
    carry: bytes = b"",
    crc: int = _CRC24_INIT,
) -> bytes:
    """Decode the base64 lines (and optional CRC line) in ``data[start:limit]``.

    ``limit`` is the offset of the END line; the section consists of complete lines. For the last
    piece of a body decoded in pieces (:class:`ArmorReader`), ``carry`` is the base64 characters
    of the lines before it not decoded yet (fewer than four) and ``crc`` the CRC24 of the data
    decoded from them.
    """
    section = data[start:limit]
    if not section and not carry:
        return b""
    if b"\r\n" in section:  # the common CRLF case first, at C speed
        section = section.replace(b"\r\n", b"\n")
    if b" \n" in section or b"\t\n" in section or b"\r\n" in section:
        section = _TRAILING_WS_EOL.sub(b"\n", section)
    if section.startswith(b"\n"):
        raise ArmorError("blank line inside the base64 data", line=line)
    blank = section.find(b"\n\n")
    if blank >= 0:
        raise ArmorError(
            "blank line inside the base64 data", line=line + section.count(b"\n", 0, blank) + 1
        )
    payload = section[:-1]
    last_start = payload.rfind(b"\n") + 1
    crc_expected: int | None = None
    if payload.startswith(b"=", last_start):
        crc_line = line + payload.count(b"\n")
        crc_text = payload[last_start + 1 :]
        if _CRC_LINE.fullmatch(crc_text) is None:
            raise ArmorError("malformed armor checksum line", line=crc_line)
        crc_expected = int.from_bytes(binascii.a2b_base64(crc_text), "big")
        payload = payload[: max(last_start - 1, 0)]
    text = carry + payload.translate(None, b"\n")
    if _BASE64.fullmatch(text) is None:
        raise ArmorError("invalid base64 in armor", line=_bad_base64_line(payload, line))
    if len(text) % 4:
        raise ArmorError(
            "base64 data length is not a multiple of 4 (missing padding?)",
            line=line + payload.count(b"\n"),
        )
    try:
        decoded = binascii.a2b_base64(text)
    except binascii.Error as exc:  # unreachable after the checks above; kept as a safety net
        raise ArmorError(f"invalid base64 in armor: {exc}", line=line) from exc
    if crc_expected is not None:
        actual = crc24(decoded, crc)
        if actual != crc_expected:
            raise ArmorError(
                f"armor checksum mismatch (line says {crc_expected:06X}, data gives {actual:06X})",
                line=line + payload.count(b"\n") + (1 if payload else 0),
            )
    return decoded


def _check_end_line(line: bytes, label: bytes, number: int) -> None:
    """Raises ArmorError unless ``line`` (without its LF) is the END line of ``label``."""
    end_match = _END_LINE.fullmatch(line.rstrip(_LINE_WS))
    if end_match is None:
        raise ArmorError("malformed armor END line", line=number)
    if end_match.group(1) != label:
        raise ArmorError(
            f"armor END label {end_match.group(1).decode('ascii')!r} does not match "
            f"BEGIN label {label.decode('ascii')!r}",
            line=number,
        )


def _parse_block(data: bytes, begin: int, begin_line: int) -> tuple[ArmorBlock, int]:
    """Decode the block whose BEGIN line starts at ``begin``, line ``begin_line`` of ``data``.

    Returns:
        The block and the offset just after its END line (and that line's LF, if any).
    """
    size = len(data)
    begin_eol = _line_end(data, begin, size)
    begin_match = _BEGIN_LINE.fullmatch(data[begin:begin_eol].rstrip(_LINE_WS))
    if begin_match is None:
        raise ArmorError("malformed armor BEGIN line", line=begin_line)
    label = begin_match.group(1)
    body = begin_eol + 1
    end = _find_line_start(data, _END_PREFIX, body) if body <= size else -1
    if end < 0:
        raise ArmorError(f"no -----END {label.decode('ascii')}----- line", line=begin_line)
    end_eol = _line_end(data, end, size)
    _check_end_line(data[end:end_eol], label, begin_line + data.count(b"\n", begin, end))
    headers: tuple[tuple[str, str], ...] = ()
    data_start, data_line = body, begin_line + 1
    if body < end:
        first = data[body : _line_end(data, body, end)].rstrip(_LINE_WS)
        if not first:
            data_start, data_line = _line_end(data, body, end) + 1, begin_line + 2
        elif b":" in first:
            headers, data_start, data_line = _parse_headers(data, body, end, begin_line + 1)
    payload = _decode_body(data, data_start, end, data_line)
    return ArmorBlock(label.decode("ascii"), headers, payload), min(end_eol + 1, size)


def decode(data: bytes, *, max_size: int = MAX_ARMOR_BYTES) -> ArmorBlock:
    """Decode exactly one armor block.

    Whitespace before and after the block is allowed; any other text is an error.

    Args:
        data: The armored bytes.
        max_size: Refuse input longer than this many bytes.

    Returns:
        The decoded block.

    Raises:
        LimitError: ``data`` is longer than ``max_size``.
        ArmorError: No block, text around the block, or a malformed block (see the module
            docstring for the rules).
    """
    _check_size(data, max_size)
    leading = _LEADING_WS.match(data)
    start = leading.end() if leading is not None else 0
    if not data.startswith(_BEGIN_PREFIX, start):
        if start == len(data):
            raise ArmorError("no armor found (input is empty or only whitespace)")
        raise ArmorError(
            "input does not start with an armor BEGIN line", line=_line_at(data, start)
        )
    if start and data[start - 1] != _LF:
        raise ArmorError("armor BEGIN line is indented", line=_line_at(data, start))
    block, after = _parse_block(data, start, _line_at(data, start))
    trailing = _LEADING_WS.match(data, after)
    if trailing is None or trailing.end() != len(data):
        stray = trailing.end() if trailing is not None else after
        raise ArmorError("text after the armor END line", line=_line_at(data, stray))
    return block


def decode_all(data: bytes, *, max_size: int = MAX_ARMOR_BYTES) -> tuple[ArmorBlock, ...]:
    """Decode every armor block in ``data``, in order (e.g. concatenated certificates).

    Text before, between and after the blocks is ignored. A line that starts with
    ``-----BEGIN `` always starts a block, and that block must be well formed.

    Args:
        data: The armored bytes.
        max_size: Refuse input longer than this many bytes.

    Returns:
        The decoded blocks, at least one.

    Raises:
        LimitError: ``data`` is longer than ``max_size``.
        ArmorError: No block at all, or a malformed block.
    """
    blocks = tuple(iter_blocks(data, max_size=max_size))
    if not blocks:
        raise ArmorError("no armor block found")
    return blocks


def iter_blocks(data: bytes, *, max_size: int = MAX_ARMOR_BYTES) -> Iterator[ArmorBlock]:
    """Each armor block of ``data``, decoded as it is reached (:func:`decode_all`, lazily).

    A reader that needs only the first blocks of a file of thousands decodes no more.

    Raises:
        LimitError: ``data`` is longer than ``max_size`` (before the first block).
        ArmorError: A malformed block (when it is reached).
    """
    _check_size(data, max_size)
    # ``line`` is that of ``pos``, counted on as ``pos`` moves (counted from the start for each
    # block, 16,000 blocks of a 1 MB file took 7 s, 64,000 of 4 MB 111 s).
    pos, line = 0, 1
    while pos < len(data):
        begin = _find_line_start(data, _BEGIN_PREFIX, pos)
        if begin < 0:
            return
        line += data.count(b"\n", pos, begin)
        block, after = _parse_block(data, begin, line)
        line += data.count(b"\n", begin, after)
        pos = after
        yield block


# --------------------------------------------------------------------------------------------
# Encoding


def encode(
    label: str, data: bytes, headers: Sequence[tuple[str, str]] = (), *, crc: bool = True
) -> bytes:
    """Armor ``data``.

    The output has LF line endings, a blank line after the (possibly empty) header section,
    base64 lines of 64 characters, the CRC24 line when ``crc`` is true, and a final LF.

    Args:
        label: The block label, e.g. ``"PGP SIGNATURE"`` (printable ASCII without ``-``).
        data: The binary payload.
        headers: ``(key, value)`` pairs written in order. Keys are printable ASCII without
            ``:`` or space; values are one line of text without surrounding whitespace.
        crc: Write the optional CRC24 checksum line (old verifiers require it).

    Returns:
        The armored bytes; :func:`decode` gives back the label, headers and data.

    Raises:
        ArmorError: A label or header that cannot be written so that it decodes back unchanged.
    """
    if _LABEL_STR.fullmatch(label) is None or label != label.strip():
        raise ArmorError(f"invalid armor label {label!r}")
    out = [b"-----BEGIN " + label.encode("ascii") + b"-----\n"]
    for key, value in headers:
        if _HEADER_KEY_STR.fullmatch(key) is None:
            raise ArmorError(f"invalid armor header key {key!r}")
        if "\n" in value or "\r" in value or value != value.rstrip(" \t"):
            raise ArmorError(f"invalid armor header value {value!r} (one line, no trailing space)")
        try:
            encoded = value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ArmorError(f"armor header value {value!r} is not encodable as UTF-8") from exc
        out.append(key.encode("ascii") + (b": " + encoded if encoded else b":") + b"\n")
    out.append(b"\n")
    text = binascii.b2a_base64(data, newline=False)
    if text:
        out.append(b"\n".join([text[i : i + 64] for i in range(0, len(text), 64)]))
        out.append(b"\n")
    if crc:
        out.append(b"=" + binascii.b2a_base64(crc24(data).to_bytes(3, "big"), newline=False))
        out.append(b"\n")
    out.append(b"-----END " + label.encode("ascii") + b"-----\n")
    return b"".join(out)
