"""A clear-signed input read twice must be the same both times.

``verify_clearsigned`` hashes the text in one pass with the hashes the ``Hash:`` header announces;
a signature whose digest was not computed (no header, a v6 signature's salted hash) needs a second
pass over the input. The text handed to ``output`` and the judged signature packets come from the
first pass, the digests from the second: if the input changed in between (a file rewritten while
being verified), the verdict could be about other bytes than those written out. Both passes keep a
witness of the text (the header's first hasher, else a SHA-256 kept for that alone: no data is
hashed twice when the header gives a hasher), and a difference is an InputError, never a "good".
"""

from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest

from conftest import ROOT
from pgpsig import sop
from pgpsig.certs.keyring import Keyring, read_certs
from pgpsig.errors import InputError
from pgpsig.policy import policy_named
from pgpsig.verify import verify_clearsigned

EX = ROOT / "examples"
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
POLICY = policy_named("default")


class Swapping(io.BytesIO):
    """Serves ``first`` until rewound, then ``second``: a file rewritten between two reads."""

    def __init__(self, first: bytes, second: bytes) -> None:
        super().__init__(first)
        self.second = second
        self.rewound = 0

    def seek(self, pos: int, whence: int = 0) -> int:
        if self.tell() > 0 and not self.rewound:
            self.rewound = 1
            super().seek(0)
            self.truncate(0)
            self.write(self.second)
        return super().seek(pos, whence)


def _ring(*certs: bytes) -> Keyring:
    ring = Keyring()
    for c in certs:
        ring.add_all(read_certs(c))
    return ring


def _v4_without_hash_header() -> tuple[bytes, Keyring]:
    signed = (EX / "hello.txt.asc").read_bytes()
    assert b"Hash: SHA512\n" in signed
    return signed.replace(b"Hash: SHA512\n", b"", 1), _ring((EX / "example-dev.asc").read_bytes())


def _mixed_v4_v6() -> tuple[bytes, Keyring]:
    v4 = sop.generate_key(["Four <4@example.org>"], now=NOW)
    v6 = sop.generate_key(["Six <6@example.org>"], now=NOW, profile="rfc9580")
    signed = sop.inline_sign(b"both\nlines\n", [v4, v6], now=NOW, mode="clearsigned")
    assert b"Hash: SHA512\n" in signed  # the header's hasher is the witness
    return signed, _ring(sop.extract_cert(v4), sop.extract_cert(v6))


def _tamper(signed: bytes) -> bytes:
    for old, new in ((b"Hello from", b"Hullo from"), (b"both\n", b"BOTH\n")):
        if old in signed:
            return signed.replace(old, new, 1)
    raise AssertionError("nothing to tamper with")


@pytest.mark.parametrize("make", [_v4_without_hash_header, _mixed_v4_v6])
def test_second_pass_needed_and_good(make: object) -> None:
    signed, ring = make()  # type: ignore[operator]
    stream = Swapping(signed, signed)
    report = verify_clearsigned(stream, ring, policy=POLICY, now=NOW)
    assert stream.rewound == 1, "this input must need a second pass"
    assert report.ok
    assert all(s.good for s in report.signatures)


def _refused_as_changed(first: bytes, second: bytes, ring: Keyring) -> None:
    """Verifying ``first`` (with --output) whose second pass reads ``second`` is an InputError."""
    with pytest.raises(InputError, match="changed while it was being read"):
        verify_clearsigned(
            Swapping(first, second), ring, policy=POLICY, now=NOW, output=lambda _b, _c: None
        )


@pytest.mark.parametrize("make", [_v4_without_hash_header, _mixed_v4_v6])
@pytest.mark.parametrize("order", ["tampered-first", "tampered-second"])
def test_input_changed_between_passes_is_an_error(make: object, order: str) -> None:
    signed, ring = make()  # type: ignore[operator]
    bad = _tamper(signed)
    first, second = (bad, signed) if order == "tampered-first" else (signed, bad)
    _refused_as_changed(first, second, ring)


class _Colliding:
    """An MD5 stand-in under which every text collides (a chosen-prefix collision, modelled)."""

    digest_size = 16

    def update(self, _data: object) -> None:
        pass

    def digest(self) -> bytes:
        return b"\0" * 16

    def hexdigest(self) -> str:
        return "00" * 16

    def copy(self) -> _Colliding:
        return self


def _v6_with_header(header: bytes) -> tuple[bytes, Keyring]:
    v6 = sop.generate_key(["Six <6@example.org>"], now=NOW, profile="rfc9580")
    signed = sop.inline_sign(b"pay alice 10\n", [v6], now=NOW, mode="clearsigned")
    assert b"Hash:" not in signed
    first = b"-----BEGIN PGP SIGNED MESSAGE-----\n"
    return signed.replace(first, first + header, 1), _ring(sop.extract_cert(v6))


@pytest.mark.parametrize("header", [b"Hash: MD5\n", b"Hash: SHA1\n", b"Hash: MD5, SHA256\n"])
def test_weak_hash_header_is_not_the_witness(
    header: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Hash: header is not signed: its MD5 or SHA-1 must not be what ties the two passes."""
    import hashlib

    real_new = hashlib.new

    def new(name: str, *args: object, **kwargs: object) -> object:
        if name.lower() in ("md5", "sha1"):
            return _Colliding()
        return real_new(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(hashlib, "new", new)
    signed, ring = _v6_with_header(header)
    good = verify_clearsigned(Swapping(signed, signed), ring, policy=POLICY, now=NOW)
    assert good.ok  # a v6 signature: always two passes
    bad = signed.replace(b"pay alice 10", b"pay mallory 9999", 1)
    _refused_as_changed(bad, signed, ring)
