"""Tests of pgpsig.openpgp.armor: CRC24, strict decoding rules, encoding, real armored keys, fuzzing."""

from __future__ import annotations

import base64
import contextlib
import io
import os
import random
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgpsig.errors import ArmorError, LimitError, PgpsigError
from pgpsig.openpgp import armor
from pgpsig.openpgp.dearmor import ArmorReader

# A small real signature (rpgp csf/msg.csf) and one made-up payload, armored by hand below.
PAYLOAD = bytes(range(256)) * 3 + b"tail"


def crc24_reference(data: bytes) -> int:
    """The bitwise algorithm exactly as printed in RFC 9580 section 6.1."""
    crc = 0xB704CE
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def b64(data: bytes) -> bytes:
    return base64.b64encode(data)


def crc_line(data: bytes) -> bytes:
    return b"=" + b64(armor.crc24(data).to_bytes(3, "big"))


def lines64(data: bytes) -> list[bytes]:
    text = b64(data)
    return [text[i : i + 64] for i in range(0, len(text), 64)]


def make(
    body_lines: list[bytes],
    *,
    label: bytes = b"PGP SIGNATURE",
    headers: list[bytes] | None = None,
    blank: bool = True,
    eol: bytes = b"\n",
) -> bytes:
    out = [b"-----BEGIN " + label + b"-----"]
    out += headers or []
    if blank:
        out.append(b"")
    out += body_lines
    out.append(b"-----END " + label + b"-----")
    return eol.join(out) + eol


GOOD = make([*lines64(PAYLOAD), crc_line(PAYLOAD)], headers=[b"Version: Test 1", b"Comment: hi"])


# --------------------------------------------------------------------------------------------
# CRC24


def test_crc24_of_empty_is_the_init_value() -> None:
    assert armor.crc24(b"") == 0xB704CE


@pytest.mark.parametrize("size", [0, 1, 2, 3, 63, 1023, 1024, 1025, 4096, 70000])
def test_crc24_matches_the_rfc_algorithm_around_the_fast_path_boundary(size: int) -> None:
    data = random.Random(size).randbytes(size)
    assert armor.crc24(data) == crc24_reference(data)


def test_crc24_across_fold_chunks() -> None:
    data = random.Random(7).randbytes((1 << 20) + 12345)
    assert armor.crc24(data) == crc24_reference(data)


@given(st.binary(max_size=3000))
def test_crc24_property(data: bytes) -> None:
    assert armor.crc24(data) == crc24_reference(data)


def test_crc24_known_value_from_a_real_key_block(conformance: Path) -> None:
    # rpgp's alice.pub.asc ends "...Aw==" / "=0812"; decoding verifies that checksum.
    block = armor.decode((conformance / "openpgp/rpgp/csf/alice.pub.asc").read_bytes())
    assert armor.crc24(block.data) == int.from_bytes(base64.b64decode(b"0812"), "big")


# --------------------------------------------------------------------------------------------
# Decoding: the good cases


def test_decode_good_block() -> None:
    block = armor.decode(GOOD)
    assert block == armor.ArmorBlock(
        "PGP SIGNATURE", (("Version", "Test 1"), ("Comment", "hi")), PAYLOAD
    )


def test_crc_line_is_optional() -> None:
    assert armor.decode(make(lines64(PAYLOAD))).data == PAYLOAD


def test_bad_crc_is_an_error_with_the_crc_line_number() -> None:
    bad = make([*lines64(PAYLOAD), crc_line(PAYLOAD + b"x")])
    with pytest.raises(ArmorError, match="checksum mismatch") as info:
        armor.decode(bad)
    assert info.value.line == bad.split(b"\n").index(crc_line(PAYLOAD + b"x")) + 1


def test_malformed_crc_line() -> None:
    with pytest.raises(ArmorError, match="checksum line"):
        armor.decode(make([*lines64(PAYLOAD), b"=abc"]))


def test_crlf_and_trailing_whitespace_are_tolerated() -> None:
    text = GOOD.replace(b"\n", b" \t\r\n")
    assert armor.decode(text) == armor.decode(GOOD)


def test_crlf_only() -> None:
    assert armor.decode(GOOD.replace(b"\n", b"\r\n")) == armor.decode(GOOD)


def test_whitespace_around_the_block_is_allowed() -> None:
    assert armor.decode(b"\n \r\n" + GOOD + b"\n\n  \t\n") == armor.decode(GOOD)


def test_no_final_newline() -> None:
    assert armor.decode(GOOD.rstrip(b"\n")) == armor.decode(GOOD)


def test_blank_line_less_form_without_headers() -> None:
    text = make([*lines64(PAYLOAD), crc_line(PAYLOAD)], blank=False)
    assert armor.decode(text).data == PAYLOAD


def test_header_with_empty_value_and_colons_in_value() -> None:
    text = make(lines64(PAYLOAD), headers=[b"Comment:", b"Comment: a: b:c", b"Hash: SHA256"])
    assert armor.decode(text).headers == (
        ("Comment", ""),
        ("Comment", "a: b:c"),
        ("Hash", "SHA256"),
    )


def test_header_value_that_is_not_utf8_is_replaced_not_fatal() -> None:
    text = make(lines64(PAYLOAD), headers=[b"Comment: caf\xe9"])
    assert armor.decode(text).headers == (("Comment", "caf\ufffd"),)


def test_longer_base64_lines_are_accepted() -> None:
    assert armor.decode(make([b64(PAYLOAD)])).data == PAYLOAD


def test_empty_payload() -> None:
    assert armor.decode(make([crc_line(b"")])).data == b""
    assert armor.decode(make([])).data == b""


# --------------------------------------------------------------------------------------------
# Decoding: every rule, with a named case and its line number

BODY = [*lines64(PAYLOAD), crc_line(PAYLOAD)]
BAD_CASES = {
    "label-mismatch": (
        b"-----BEGIN PGP SIGNATURE-----\n\n" + b"\n".join(BODY) + b"\n-----END PGP MESSAGE-----\n",
        "does not match",
        len(BODY) + 3,
    ),
    "missing-end": (
        b"-----BEGIN PGP SIGNATURE-----\n\n" + b"\n".join(BODY) + b"\n",
        "no -----END",
        1,
    ),
    "malformed-end": (
        b"-----BEGIN PGP SIGNATURE-----\n\n" + b"\n".join(BODY) + b"\n-----END PGP SIGNATURE\n",
        "malformed armor END",
        len(BODY) + 3,
    ),
    "malformed-begin": (b"-----BEGIN PGP SIGNATURE----\n\nAAAA\n-----END X-----\n", "BEGIN", 1),
    "invalid-character": (make([b"AAAA", b"AA*A", b"AAAA"]), "invalid base64", 4),
    "leading-space-on-data-line": (make([b"AAAA", b" AAAA"]), "invalid base64", 4),
    "padding-in-the-middle": (make([b"AA==", b"AAAA"]), "invalid base64", 3),
    "length-not-multiple-of-4": (make([b"AAAAA"]), "multiple of 4", 3),
    "blank-line-inside-data": (make([b"AAAA", b"", b"AAAA"]), "blank line", 4),
    "two-blank-lines-after-header": (make([b"", b"AAAA"]), "blank line", 3),
    "blank-line-before-crc": (make([b"AAAA", b"", crc_line(b"\0\0\0")]), "blank line", 4),
    "headers-without-blank-line": (
        make([b"AAAA"], headers=[b"Version: 1"], blank=False),
        "malformed armor header",
        3,
    ),
    "header-without-space": (make([b"AAAA"], headers=[b"Version:1"]), "malformed armor header", 2),
    "header-line-with-space-in-key": (
        make([b"AAAA"], headers=[b"Version: 1", b"Bad Key: x"]),
        "malformed armor header",
        3,
    ),
    "only-headers": (b"-----BEGIN X-----\nVersion: 1\n-----END X-----\n", "missing blank line", 3),
    "text-before": (b"hello\n" + GOOD, "does not start with an armor BEGIN", 1),
    "text-after": (GOOD + b"\nmore\n", "text after", GOOD.count(b"\n") + 2),
    "second-block": (GOOD + GOOD, "text after", GOOD.count(b"\n") + 1),
    "indented-begin": (b"  " + GOOD, "indented", 1),
    "empty": (b"", "no armor", None),
    "whitespace-only": (b" \n\t\r\n", "no armor", None),
}


@pytest.mark.parametrize("case", BAD_CASES, ids=list(BAD_CASES))
def test_decode_rule(case: str) -> None:
    data, message, line = BAD_CASES[case]
    with pytest.raises(ArmorError, match=message) as info:
        armor.decode(data)
    assert info.value.line == line
    assert isinstance(info.value, ValueError)


def test_size_limit() -> None:
    with pytest.raises(LimitError):
        armor.decode(GOOD, max_size=len(GOOD) - 1)
    with pytest.raises(LimitError):
        armor.decode_all(GOOD, max_size=10)
    assert armor.decode(GOOD, max_size=len(GOOD)).data == PAYLOAD


def test_default_limit_is_64_mib() -> None:
    assert armor.MAX_ARMOR_BYTES == 64 * 1024 * 1024


def test_header_lines_are_bounded_in_both_decoders() -> None:
    """256 header lines are read; one more is refused, by the whole-input and streaming readers."""
    from pgpsig.openpgp.dearmor import ArmorReader

    body = base64.b64encode(PAYLOAD)
    for n, ok in ((armor.MAX_ARMOR_HEADERS, True), (armor.MAX_ARMOR_HEADERS + 1, False)):
        block = (
            b"-----BEGIN PGP MESSAGE-----\n"
            + b"Comment: x\n" * n
            + b"\n"
            + body
            + b"\n-----END PGP MESSAGE-----\n"
        )
        if ok:
            assert len(armor.decode(block).headers) == n
            assert len(ArmorReader(io.BytesIO(block)).headers) == n
        else:
            with pytest.raises(LimitError, match="armor header lines"):
                armor.decode(block)
            with pytest.raises(LimitError, match="armor header lines"):
                ArmorReader(io.BytesIO(block))


# --------------------------------------------------------------------------------------------
# decode_all


def test_decode_all_several_blocks_with_text_around() -> None:
    other = armor.encode("PGP PUBLIC KEY BLOCK", b"key bytes", [("Comment", "k")])
    data = b"intro text\n" + GOOD + b"between\n-- not a block\n\n" + other + b"the end"
    blocks = armor.decode_all(data)
    assert [b.label for b in blocks] == ["PGP SIGNATURE", "PGP PUBLIC KEY BLOCK"]
    assert blocks[1].data == b"key bytes"
    assert blocks[1].headers == (("Comment", "k"),)


def test_decode_all_back_to_back() -> None:
    assert len(armor.decode_all(GOOD + GOOD + GOOD.replace(b"\n", b"\r\n"))) == 3


def test_decode_all_without_block() -> None:
    with pytest.raises(ArmorError, match="no armor block"):
        armor.decode_all(b"just text\n-----BEGINNING\n")


def test_decode_all_bad_second_block_reports_its_line() -> None:
    bad = make([b"AA*A"])
    with pytest.raises(ArmorError) as info:
        armor.decode_all(GOOD + b"x\n" + bad)
    assert info.value.line == GOOD.count(b"\n") + 1 + 3


def test_decode_all_counts_lines_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each block's line is counted on from the last one's, never from the start of the input
    again: 64,000 blocks of a 4 MB file took 111 s (each counted the lines before it)."""
    bad = make([b"AA*A"])
    text = (GOOD + b"some text\n\n") * 5 + bad

    def from_the_start(data: bytes, offset: int) -> int:
        raise AssertionError("lines counted from the start")

    monkeypatch.setattr(armor, "_line_at", from_the_start)
    with pytest.raises(ArmorError) as info:
        armor.decode_all(text)
    assert info.value.line == (GOOD.count(b"\n") + 2) * 5 + 3  # bad begins at the 126th


# --------------------------------------------------------------------------------------------
# is_armored


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (GOOD, True),
        (b"\r\n \t" + GOOD, True),
        (b"-----BEGIN PGP SIGNED MESSAGE-----\n", True),
        (b"-----BEGIN CERTIFICATE-----\n", False),
        (b"x" + GOOD, False),
        (b"\x99\x01\x0d\x04", False),
        (b"", False),
    ],
)
def test_is_armored(data: bytes, expected: bool) -> None:
    assert armor.is_armored(data) is expected


# --------------------------------------------------------------------------------------------
# Encoding


def test_encode_layout() -> None:
    out = armor.encode("PGP SIGNATURE", PAYLOAD, [("Version", "x")])
    lines = out.split(b"\n")
    assert lines[0] == b"-----BEGIN PGP SIGNATURE-----"
    assert lines[1] == b"Version: x"
    assert lines[2] == b""
    assert all(len(line) == 64 for line in lines[3:-4])
    assert lines[-3] == crc_line(PAYLOAD)
    assert lines[-2] == b"-----END PGP SIGNATURE-----"
    assert lines[-1] == b""
    assert b"\r" not in out


def test_encode_without_crc() -> None:
    out = armor.encode("PGP SIGNATURE", PAYLOAD, crc=False)
    assert b"\n=" not in out
    assert armor.decode(out).data == PAYLOAD


@pytest.mark.parametrize(
    ("label", "headers"),
    [
        ("PGP-SIGNATURE", ()),
        ("", ()),
        (" PGP", ()),
        ("PGP\n", ()),
        ("PGP", (("Bad Key", "v"),)),
        ("PGP", (("Key:", "v"),)),
        ("PGP", (("", "v"),)),
        ("PGP", (("Key", "two\nlines"),)),
        ("PGP", (("Key", "trailing "),)),
        ("PGP", (("Key", "\ud800"),)),
    ],
)
def test_encode_refuses_what_would_not_decode_back(
    label: str, headers: tuple[tuple[str, str], ...]
) -> None:
    with pytest.raises(ArmorError):
        armor.encode(label, b"x", headers)


labels = st.sampled_from(
    [
        "PGP SIGNATURE",
        "PGP MESSAGE",
        "PGP PUBLIC KEY BLOCK",
        "PGP PRIVATE KEY BLOCK",
        "PGP MESSAGE, PART 1/2",
    ]
)
header_keys = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=":"),
    min_size=1,
    max_size=12,
)
header_values = st.text(
    st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")), max_size=40
).map(lambda s: s.rstrip(" \t"))


@given(
    labels,
    st.binary(max_size=2000),
    st.lists(st.tuples(header_keys, header_values), max_size=4),
    st.booleans(),
)
def test_encode_decode_round_trip(
    label: str, data: bytes, headers: list[tuple[str, str]], crc: bool
) -> None:
    out = armor.encode(label, data, headers, crc=crc)
    assert armor.decode(out) == armor.ArmorBlock(label, tuple(headers), data)
    assert armor.decode(out.replace(b"\n", b"\r\n")) == armor.ArmorBlock(
        label, tuple(headers), data
    )
    assert armor.decode_all(b"junk\n" + out + out) == (armor.decode(out),) * 2


# --------------------------------------------------------------------------------------------
# Real armored keys


def armored_key_files(root: Path) -> list[Path]:
    files = sorted((root / "freepbx" / "keys").glob("*.key"))
    files += sorted((root / "openpgp").rglob("*.asc"))
    files += sorted((root / "openpgp" / "rpgp" / "rfc9580-hello").rglob("tsk.asc"))
    return [f for f in files if b"SIGNED MESSAGE" not in f.read_bytes()]


def test_real_armored_files_decode(conformance: Path) -> None:
    files = armored_key_files(conformance)
    assert len(files) >= 10
    for path in files:
        blocks = armor.decode_all(path.read_bytes())
        assert blocks, path.name
        for block in blocks:
            assert block.label.startswith("PGP "), path.name
            assert block.data, path.name
            # The first byte of a packet always has its top bit set.
            assert block.data[0] & 0x80, path.name
        # Files with a single block also decode strictly.
        if len(blocks) == 1:
            assert armor.decode(path.read_bytes()) == blocks[0]


def test_freepbx_keys_have_checksums_that_match(conformance: Path) -> None:
    for path in sorted((conformance / "freepbx" / "keys").glob("*.key")):
        data = path.read_bytes()
        (block,) = armor.decode_all(data)
        assert block.label == "PGP PUBLIC KEY BLOCK"
        reencoded = armor.encode(block.label, block.data, block.headers)
        assert armor.decode(reencoded) == block


# --------------------------------------------------------------------------------------------
# Only PgpsigError on any input


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(st.binary(max_size=600))
def test_garbage_raises_only_pgpsig_errors(data: bytes) -> None:
    for function in (armor.decode, armor.decode_all):
        with contextlib.suppress(PgpsigError):
            function(data)


@st.composite
def mutated_armor(draw: st.DrawFn) -> bytes:
    data = draw(st.binary(max_size=200))
    headers = draw(st.lists(st.tuples(header_keys, header_values), max_size=2))
    text = bytearray(armor.encode("PGP SIGNATURE", data, headers, crc=draw(st.booleans())))
    alphabet = b"-=:\r\n \tA/+BEGINEND\x00\xff"
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "dup"]))
        pos = draw(st.integers(0, len(text)))
        if op == "flip" and pos < len(text):
            text[pos] = draw(st.sampled_from(alphabet))
        elif op == "insert":
            text[pos:pos] = bytes([draw(st.sampled_from(alphabet))])
        elif op == "delete":
            del text[pos : pos + draw(st.integers(1, 10))]
        else:
            end = draw(st.integers(pos, len(text)))
            text[pos:pos] = text[pos:end]
    return bytes(text)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=500)
@given(mutated_armor())
def test_mutated_armor_raises_only_pgpsig_errors(data: bytes) -> None:
    for function in (armor.decode, armor.decode_all):
        try:
            block = function(data)
        except PgpsigError:
            continue
        assert block


# --------------------------------------------------------------------------------------------
# ArmorReader: one block decoded as it is read, exactly as decode_all decodes it


def _one_block(data: bytes, max_size: int) -> object:
    """What decode_all makes of ``data`` as input of one block: (label, headers, data), or
    "error" (malformed, over ``max_size``, or not exactly one block)."""
    try:
        blocks = armor.decode_all(data, max_size=max_size)
    except (ArmorError, LimitError):
        return "error"
    if len(blocks) != 1:
        return "error"
    return blocks[0].label, blocks[0].headers, blocks[0].data


def _streamed(data: bytes, max_size: int, chunk: int, piece: int) -> object:
    """The same from an ArmorReader reading ``chunk`` octets at once, read ``piece`` at a time."""
    try:
        reader = ArmorReader(io.BytesIO(data), max_size=max_size, chunk=chunk)
        parts = []
        while part := reader.read(piece):
            assert len(part) <= piece
            parts.append(part)
        assert reader.read(piece) == b""
    except (ArmorError, LimitError):
        return "error"
    return reader.label, reader.headers, b"".join(parts)


@st.composite
def armor_shapes(draw: st.DrawFn) -> bytes:
    """A block as writers may lay it out (line widths, one long line, CRLF, trailing spaces,
    headers or not, checksum or not, text or a second block after it), then mutated."""
    data = draw(st.binary(max_size=300))
    text = base64.b64encode(data)
    width = draw(st.sampled_from([1, 3, 4, 63, 64, 76, 10_000]))
    lines = [text[i : i + width] for i in range(0, len(text), width)]
    if draw(st.booleans()):
        lines.append(crc_line(data) if draw(st.integers(0, 4)) else b"=AAAA")
    headers = [b"Version: x"] if draw(st.booleans()) else []
    block = make(
        lines, label=b"PGP MESSAGE", headers=headers, blank=bool(headers) or draw(st.booleans())
    )
    if draw(st.booleans()):
        block = block.replace(b"\n", draw(st.sampled_from([b"\r\n", b" \n", b"\t \r\n"])))
    block = draw(st.sampled_from([b"", b"\n \n"])) + block
    block += draw(
        st.sampled_from([b"", b"junk after\n", b"\n\n", block, b"x\n-----BEGIN X", b"-----END"])
    )
    mutated = bytearray(block)
    alphabet = b"-=:\r\n \tA/+BEGINEND\x00"
    for _ in range(draw(st.integers(0, 3))):
        pos = draw(st.integers(0, len(mutated)))
        op = draw(st.sampled_from(["flip", "insert", "delete"]))
        if op == "flip" and pos < len(mutated):
            mutated[pos] = draw(st.sampled_from(alphabet))
        elif op == "insert":
            mutated[pos:pos] = bytes([draw(st.sampled_from(alphabet))])
        else:
            del mutated[pos : pos + draw(st.integers(1, 8))]
    return bytes(mutated)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=1500, deadline=None)
@given(
    st.one_of(armor_shapes(), mutated_armor()),
    st.sampled_from([1, 2, 5, 16, 1 << 20]),
    st.sampled_from([1, 7, 1 << 20]),
)
def test_the_reader_decodes_what_decode_all_decodes(data: bytes, chunk: int, piece: int) -> None:
    for max_size in (len(data), max(len(data) - 1, 0)):
        assert _streamed(data, max_size, chunk, piece) == _one_block(data, max_size)


@pytest.mark.parametrize(
    ("case", "data"),
    [(name, data) for name, (data, _, _) in BAD_CASES.items()]
    + [("good", GOOD), ("crlf", GOOD.replace(b"\n", b"\r\n")), ("empty-payload", make([]))],
)
@pytest.mark.parametrize("chunk", [1, 3, 1 << 20])
def test_the_reader_on_each_decode_rule(case: str, data: bytes, chunk: int) -> None:
    assert _streamed(data, len(data), chunk, 5) == _one_block(data, len(data)), case


def test_the_reader_holds_about_a_chunk_and_checks_the_crc_last() -> None:
    """1 MiB of data in 64-character lines, or on one line: read in pieces while the armor is
    read a chunk at a time; a wrong checksum is raised at the end, after the data."""
    data = os.urandom(1 << 20)
    for good in (armor.encode("PGP MESSAGE", data), _one_line(data)):
        source = io.BytesIO(good)
        reader = ArmorReader(source, chunk=4096)
        first = reader.read(1000)
        assert source.tell() <= 3 * 4096 + 2 * 65  # not the whole armor
        assert first + reader.read() == data
        bad = good.replace(crc_line(data), b"=AAAA")
        reader = ArmorReader(io.BytesIO(bad), chunk=4096)
        assert len(reader.read(len(data) - 10)) > 0
        with pytest.raises(ArmorError, match="checksum mismatch"):
            reader.read()


def _one_line(data: bytes) -> bytes:
    return make([b64(data), crc_line(data)], label=b"PGP MESSAGE")


# --------------------------------------------------------------------------------------------
# Speed (printed, not asserted)


def test_speed_sanity() -> None:
    data = os.urandom(8 << 20)
    start = time.perf_counter()
    text = armor.encode("PGP MESSAGE", data)
    encoded = time.perf_counter()
    assert armor.decode(text).data == data
    decoded = time.perf_counter()
    print(
        f"\narmor: encode {len(data) / (encoded - start) / 1e6:.0f} MB/s, "
        f"decode {len(text) / (decoded - encoded) / 1e6:.0f} MB/s (8 MiB, CRC checked)"
    )
