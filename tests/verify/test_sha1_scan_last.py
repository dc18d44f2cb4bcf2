"""A SHA-1 data signature's collision scan runs only once a key verifies the signature.

Anyone can write a signature naming a key of the keyring: under ``freepbx-legacy`` such a forgery
over a real FreePBX ``module.sig`` text (the text altered, so that no key verifies it) is bad
without the data being scanned; the genuine signature is scanned once, and good. The scan is
counted by wrapping :func:`pgpsig.openpgp.sha1sig._scan`.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

import pgpsig
from pgpsig.openpgp import armor, sha1sig


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    seen: list[int] = []
    real = sha1sig._scan

    def counted(data: bytes | bytearray) -> object:
        seen.append(len(data))
        return real(data)

    monkeypatch.setattr(sha1sig, "_scan", counted)
    return seen


@pytest.fixture(scope="module")
def real(conformance: Path) -> tuple[Path, bytes]:
    base = conformance / "freepbx"
    for c in json.loads((base / "manifest.json").read_text()):
        path = base / "cases" / c["case"] / "module.sig"
        good = "GOODSIG" in c.get("gpg_with_bundled_keys", {}).get("status", [])
        if good and 8192 < path.stat().st_size < 65536:
            return base / "keys", path.read_bytes()
    pytest.skip("no real FreePBX module.sig of 8 to 64 KiB")


def _verify(keys: Path, data: bytes) -> pgpsig.VerifyReport:
    return pgpsig.verify_clearsigned(
        data, keyring=keys, policy="freepbx-legacy", now=datetime(2026, 1, 1, tzinfo=timezone.utc)
    )


def test_a_forged_sha1_signature_costs_no_scan(real: tuple[Path, bytes], scans: list[int]) -> None:
    keys, data = real
    good = _verify(keys, data)
    assert good.ok and good.signatures[0].hash_algorithm == "SHA1"
    assert len(scans) == 1  # the text, once (the key's own SHA-1 self-signatures are cached)
    # The same text, its signature's last octet (of the RSA value) changed: the digest and its
    # two-octet prefix still match, only the public-key check fails, as for a real forgery.
    start = data.index(b"-----BEGIN PGP SIGNATURE-----")
    packet = bytearray(armor.decode(data[start:]).data)
    packet[-1] ^= 1
    forged = data[:start] + armor.encode("PGP SIGNATURE", bytes(packet))
    report = _verify(keys, forged)
    assert not report.ok
    assert report.signatures[0].status.value == "bad"
    assert report.signatures[0].reason == "bad signature"
    assert len(scans) == 1  # the forged signature over the same text: no scan at all
