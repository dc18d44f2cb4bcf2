"""Hostile signature counts cost a bounded amount of work.

Every v6 signature is salted, so each one needs a hash of the whole signed text of its own. A
signature whose issuer is not in the keyring is never hashed (the judge stops at "unknown key"
before it asks for a digest); over one text at most ``MAX_DIGESTS`` digests are made, and one
input holds at most ``MAX_SIGNATURES_PER_FILE`` signatures however many blocks it has.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from pgpsig.certs.keyring import keyring_from_bytes
from pgpsig.errors import LimitError
from pgpsig.keys.generate import generate_key
from pgpsig.openpgp import armor
from pgpsig.openpgp.framing import iter_packets
from pgpsig.openpgp.ids import HashAlgorithm, SignatureType
from pgpsig.openpgp.secretkey import load_signing_keys
from pgpsig.openpgp.signature import Signature
from pgpsig.openpgp.signing import sign_cleartext
from pgpsig.policy import policy_named
from pgpsig.report import SigStatus
from pgpsig.verify import (
    MAX_DIGESTS,
    MAX_SHA1_BLOCKS,
    MAX_SHA1_DIGESTS,
    MAX_SIGNATURES_PER_FILE,
    read_signature_file,
    verify_clearsigned,
    verify_detached,
)

NOW = datetime.now(timezone.utc)
TEXT = b"a signed line\n" * 1000


@pytest.fixture(scope="module")
def v6() -> tuple[bytes, bytes]:
    """(certificate, clear-signed TEXT) of a v6 key: one good salted signature."""
    key = generate_key("V6 <v6@example.org>", now=NOW - timedelta(hours=1), profile="v6")
    signed = sign_cleartext(TEXT, load_signing_keys(key.secret_key)[0], created=NOW)
    return key.certificate, signed


def _resalted(signed: bytes, n: int, *, hash_id: int | None = None) -> tuple[bytes, bytes]:
    """``signed`` with ``n`` signatures: its own, then copies with other salts (none verifies).

    ``hash_id`` names another hash algorithm for all of them (none then verifies).

    Returns the frame and the signature packets alone (for a detached signature file).
    """
    head, _, rest = signed.partition(b"-----BEGIN PGP SIGNATURE-----")
    (block,) = armor.decode_all(b"-----BEGIN PGP SIGNATURE-----" + rest)
    (pkt,) = list(iter_packets(block.data))
    body = bytearray(pkt.body)
    if hash_id is not None:
        body[3] = hash_id
    pos = 8 + int.from_bytes(body[4:8], "big")  # version, type, algorithms, hashed area
    pos += 4 + int.from_bytes(body[pos : pos + 4], "big") + 2  # unhashed area, digest prefix
    salt_len, salt_at = body[pos], pos + 1

    def packet(b: bytes) -> bytes:
        return bytes([0xC2, 0xFF]) + len(b).to_bytes(4, "big") + b

    pkts = [packet(bytes(body))]
    for _ in range(n - 1):
        other = bytearray(body)
        other[salt_at : salt_at + salt_len] = os.urandom(salt_len)
        pkts.append(packet(bytes(other)))
    packets = b"".join(pkts)
    return head + armor.encode("PGP SIGNATURE", packets), packets


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts the hash objects made for data signatures (one per distinct salt; the judge's
    checks of self-signatures are not counted)."""
    made: list[int] = []
    real = Signature.new_hash

    def counting(self: Signature) -> object:
        if self.sig_type in (SignatureType.BINARY, SignatureType.TEXT):
            made.append(1)
        return real(self)

    monkeypatch.setattr(Signature, "new_hash", counting)
    yield made


def test_signatures_by_an_unknown_key_are_never_hashed(
    v6: tuple[bytes, bytes], hashes: list[int]
) -> None:
    frame, _ = _resalted(v6[1], MAX_SIGNATURES_PER_FILE)
    other = generate_key("Other <o@example.org>", now=NOW - timedelta(hours=1), profile="v6")
    ring = keyring_from_bytes(other.certificate)
    report = verify_clearsigned(frame, ring, policy=policy_named("default"), now=NOW)
    assert len(report.signatures) == MAX_SIGNATURES_PER_FILE
    assert {s.status for s in report.signatures} == {SigStatus.UNKNOWN_KEY}
    assert hashes == []


def test_at_most_max_digests_over_one_text(v6: tuple[bytes, bytes], hashes: list[int]) -> None:
    ring = keyring_from_bytes(v6[0])
    frame, _ = _resalted(v6[1], MAX_DIGESTS)
    report = verify_clearsigned(frame, ring, policy=policy_named("default"), now=NOW)
    statuses = [s.status for s in report.signatures]
    assert statuses == [SigStatus.GOOD] + [SigStatus.BAD] * (MAX_DIGESTS - 1)
    assert not report.ok  # a bad signature fails the input, as always
    assert len(hashes) == MAX_DIGESTS
    hashes.clear()
    frame, _ = _resalted(v6[1], MAX_DIGESTS + 1)
    with pytest.raises(LimitError, match=f"more than {MAX_DIGESTS} differently"):
        verify_clearsigned(frame, ring, policy=policy_named("default"), now=NOW)
    assert len(hashes) <= MAX_DIGESTS


def test_detached_signatures_are_bounded_the_same(v6: tuple[bytes, bytes]) -> None:
    ring = keyring_from_bytes(v6[0])
    _, packets = _resalted(v6[1], MAX_DIGESTS + 1)
    with pytest.raises(LimitError, match=f"more than {MAX_DIGESTS} differently"):
        verify_detached(TEXT, packets, ring, policy=policy_named("default"), now=NOW)


def test_at_most_max_sha1_digests_over_one_text(v6: tuple[bytes, bytes]) -> None:
    """A SHA-1 digest holds the text (up to 8 MiB) until its collision scan: 16 salted SHA-1
    signatures naming a known key (none need verify) held 16 copies of it, under any policy."""
    ring = keyring_from_bytes(v6[0])
    _, packets = _resalted(v6[1], MAX_SHA1_DIGESTS, hash_id=HashAlgorithm.SHA1)
    report = verify_detached(TEXT, packets, ring, policy=policy_named("default"), now=NOW)
    assert len(report.signatures) == MAX_SHA1_DIGESTS
    frame, packets = _resalted(v6[1], MAX_SHA1_DIGESTS + 1, hash_id=HashAlgorithm.SHA1)
    with pytest.raises(LimitError, match=f"more than {MAX_SHA1_DIGESTS} SHA-1"):
        verify_detached(TEXT, packets, ring, policy=policy_named("default"), now=NOW)
    with pytest.raises(LimitError, match=f"more than {MAX_SHA1_DIGESTS} SHA-1"):
        verify_clearsigned(frame, ring, policy=policy_named("freepbx-legacy"), now=NOW)


def test_at_most_max_sha1_blocks_in_one_clear_signed_input(v6: tuple[bytes, bytes]) -> None:
    """Each block whose ``Hash:`` header names SHA1 holds its text (up to 8 MiB) until the
    signatures are judged, after the last block, whoever signed: 10 blocks of 7 MB by an unknown
    key held 99 MiB under ``default``, 512 blocks would hold 4 GiB."""
    _, packets = _resalted(v6[1], 1, hash_id=HashAlgorithm.SHA1)
    block = (
        b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA1\n\n"
        + TEXT
        + armor.encode("PGP SIGNATURE", packets)
    )
    other = generate_key("Other <o@example.org>", now=NOW - timedelta(hours=1), profile="v6")
    ring = keyring_from_bytes(other.certificate)
    report = verify_clearsigned(
        block * MAX_SHA1_BLOCKS, ring, policy=policy_named("default"), now=NOW
    )
    assert report.blocks == MAX_SHA1_BLOCKS
    with pytest.raises(LimitError, match=f"more than {MAX_SHA1_BLOCKS} clear-signed blocks"):
        verify_clearsigned(
            block * (MAX_SHA1_BLOCKS + 1), ring, policy=policy_named("default"), now=NOW
        )


def test_signatures_per_file_whatever_the_blocks(v6: tuple[bytes, bytes]) -> None:
    _, packets = _resalted(v6[1], 2)
    block = armor.encode("PGP SIGNATURE", packets)
    half = MAX_SIGNATURES_PER_FILE // 2
    assert len(read_signature_file(block * half)) == MAX_SIGNATURES_PER_FILE
    with pytest.raises(
        LimitError, match=f"more than {MAX_SIGNATURES_PER_FILE} signatures in one file"
    ):
        read_signature_file(block * (half + 1))


def test_a_file_of_many_armor_blocks_is_not_decoded_past_the_limit(
    v6: tuple[bytes, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 64 MiB signature file of 240,000 small blocks is refused at the block that passes a
    limit, not after decoding them all."""
    from pgpsig.openpgp import armor as armor_module

    _, packets = _resalted(v6[1], 2)
    block = armor.encode("PGP SIGNATURE", packets)
    decoded: list[int] = []
    real = armor_module._parse_block

    def counting(data: bytes, begin: int, line: int) -> tuple[armor.ArmorBlock, int]:
        decoded.append(1)
        return real(data, begin, line)

    monkeypatch.setattr(armor_module, "_parse_block", counting)
    with pytest.raises(LimitError, match="signatures in one file"):
        read_signature_file(block * (10 * MAX_SIGNATURES_PER_FILE))
    assert len(decoded) == MAX_SIGNATURES_PER_FILE // 2 + 1  # two signatures a block
    decoded.clear()
    other = armor.encode("PGP PUBLIC KEY BLOCK", b"\x00")
    with pytest.raises(LimitError, match="armor blocks in one file"):
        read_signature_file(other * (10 * MAX_SIGNATURES_PER_FILE) + block)
    assert len(decoded) == MAX_SIGNATURES_PER_FILE + 1
