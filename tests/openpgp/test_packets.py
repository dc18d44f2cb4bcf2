"""Packet parsing: framing, signatures, keys, certificates; garbage only ever raises typed errors."""

from __future__ import annotations

import contextlib
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pgpsig.errors import LimitError, PacketError, PgpsigError
from pgpsig.openpgp import armor
from pgpsig.openpgp.packets import (
    iter_packets,
    parse_certs,
    parse_signature,
    parse_signatures,
)
from pgpsig.openpgp.write import packet_header


def sub(t: int, body: bytes, critical: bool = False) -> bytes:
    return bytes([len(body) + 1, t | (0x80 if critical else 0)]) + body


def v4sig(
    hashed: bytes,
    unhashed: bytes = b"",
    *,
    sig_type: int = 0,
    pka: int = 22,
    ha: int = 8,
    material: bytes | None = None,
) -> bytes:
    if material is None:
        material = b"\x01\x00" + b"\x11" * 32 + b"\x01\x00" + b"\x22" * 32  # two 256-bit MPIs
    return (
        bytes([4, sig_type, pka, ha])
        + struct.pack(">H", len(hashed))
        + hashed
        + struct.pack(">H", len(unhashed))
        + unhashed
        + b"\xab\xcd"
        + material
    )


CREATED = sub(2, struct.pack(">I", 1_700_000_000), critical=True)
FPR = bytes.fromhex("AA" * 20)


def test_issuer_fingerprint_only_signature_parses() -> None:
    """PGPy crashes (IndexError) on signatures with no issuer key ID; we read the fingerprint."""
    s = parse_signature(v4sig(CREATED + sub(33, b"\x04" + FPR)))
    assert s.issuer_fingerprints == ("AA" * 20,)
    assert s.issuer_key_ids == ("AA" * 8,)
    assert s.created is not None
    assert s.created.year == 2023


def test_unhashed_creation_time_is_ignored() -> None:
    s = parse_signature(v4sig(b"", CREATED))
    assert s.created is None


@pytest.mark.parametrize("code", [0, 1, 2, 3, 32, 100, 105, 110, 200])
def test_revocation_reason_codes(code: int) -> None:
    s = parse_signature(v4sig(CREATED + sub(29, bytes([code]) + b"why"), sig_type=0x20))
    assert s.revocation_reason == (code, b"why")


def test_critical_unknown_subpacket_and_notation() -> None:
    s = parse_signature(v4sig(CREATED + sub(99, b"x", critical=True)))
    assert s.critical_unknown() == "critical unknown subpacket 99"
    note = b"\x80\0\0\0" + struct.pack(">HH", 4, 1) + b"a@bx" + b"v"
    s = parse_signature(v4sig(CREATED + sub(20, note, critical=True)))
    assert "critical notation" in (s.critical_unknown() or "")
    s = parse_signature(v4sig(CREATED + sub(99, b"x") + sub(20, note)))
    assert s.critical_unknown() is None
    assert s.notations[0].name == "a@bx"


@pytest.mark.parametrize(
    ("body", "msg"),
    [
        (b"", "empty"),
        (b"\x03" + b"\0" * 20, "version 3"),
        (b"\x05" + b"\0" * 20, "unknown signature version"),
        (v4sig(CREATED)[:-3], "MPI longer"),
        (bytes([4, 0, 22, 8, 0, 9]) + CREATED, "overflows"),
        (v4sig(b"\x00\x02"), "zero-length"),
        (v4sig(b"\x05\x02\0\0"), "overflows"),
        (v4sig(b"\xff\xff\xff\xff\xff\x02"), "overflows"),
        (v4sig(CREATED) + b"\0", "trailing bytes"),
    ],
)
def test_malformed_signatures(body: bytes, msg: str) -> None:
    with pytest.raises(PacketError, match=msg):
        parse_signature(body)


def test_framing_old_and_new_formats() -> None:
    body = v4sig(CREATED)
    new = packet_header(2, len(body)) + body
    old = bytes([0x80 | (2 << 2) | 1]) + struct.pack(">H", len(body)) + body
    assert [p.body for p in iter_packets(new + old)] == [body, body]
    assert len(parse_signatures(new + old)) == 2


def test_framing_errors() -> None:
    with pytest.raises(PacketError, match="not an OpenPGP packet"):
        list(iter_packets(b"\x00abc"))
    with pytest.raises(PacketError, match="declares"):
        list(iter_packets(b"\xc2\x10abc"))
    with pytest.raises(LimitError):
        list(iter_packets(b"\xc2\xff\x7f\xff\xff\xff" + b"\0" * 10))
    with pytest.raises(PacketError, match="expected signature packets"):
        parse_signatures(packet_header(13, 3) + b"uid")
    with pytest.raises(PacketError, match="no signature"):
        parse_signatures(packet_header(10, 3) + b"PGP")


def test_certificates_from_conformance(conformance: Path) -> None:
    certs_dir = conformance / "openpgp" / "interop-suite" / "certificates"
    data = armor.decode((certs_dir / "alice.pgp").read_bytes()).data
    (alice,) = parse_certs(data)
    assert alice.fingerprint == "EB85BB5FA33A75E15E944E63F231550C4F47E38E"
    assert alice.uids[0].uid.startswith("Alice")
    assert len(alice.subkeys) == 1
    # A secret key yields the same public certificate.
    sec = armor.decode((certs_dir / "alice-secret.pgp").read_bytes()).data
    (alice2,) = parse_certs(sec)
    assert alice2.fingerprint == alice.fingerprint
    assert alice2.had_secret


def test_freepbx_keys_parse(conformance: Path) -> None:
    fprs = set()
    for p in sorted((conformance / "freepbx" / "keys").iterdir()):
        for block in armor.decode_all(p.read_bytes()):
            for c in parse_certs(block.data):
                fprs.add(c.fingerprint)
    assert {
        "0BDE0BFA09946D732091E26E1588A7366BD35B34",
        "2016349F5BC6F49340FCCAF99F9169F4B33B4659",
        "456D051E9204C27C37D4811BB53D215A755231A3",
    } <= fprs


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=600))
def test_garbage_only_raises_typed_errors(data: bytes) -> None:
    for fn in (parse_signature, parse_signatures, parse_certs):
        with contextlib.suppress(PgpsigError):
            fn(data)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 200), st.integers(0, 255))
def test_mutated_signature_only_raises_typed_errors(pos: int, byte: int) -> None:
    body = bytearray(v4sig(CREATED + sub(33, b"\x04" + FPR), sub(16, FPR[:8])))
    body[pos % len(body)] = byte
    try:
        s = parse_signature(bytes(body))
        s.critical_unknown()
        _ = (s.created, s.issuer_key_ids, s.notations, s.embedded_signatures, s.key_flags)
    except PgpsigError:
        pass
