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
from pgpsig.openpgp import armor


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


def test_a_collision_is_refused_whichever_candidate_verifies(
    conformance: Path, scans: list[int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Keys that do not verify come before and after Bob's (as key ID candidates may): none of
    them scans the data, and Bob's, which verifies over both SHAttered PDFs, is refused."""
    from pgpsig.certs.keyring import Keyring

    suite = conformance / "openpgp" / "interop-suite"
    if not (suite / "shattered" / "shattered-1.pdf.asc").is_file():
        pytest.skip("the SHAttered signatures are not in the conformance data (interop-suite)")
    for name in ("alice.pgp", "bob.pgp"):
        (tmp_path / name).write_bytes((suite / "certificates" / name).read_bytes())
    real_candidates = Keyring.candidates

    def candidates(self: Keyring, fprs: object, kids: object) -> list[object]:
        found = real_candidates(self, fprs, kids)  # type: ignore[arg-type]
        named = {c.fingerprint for c, _ in found}
        others = [(c, c.primary) for c in self.certs.values() if c.fingerprint not in named]
        assert others  # Alice's
        return [*others, *found, *others]

    monkeypatch.setattr(Keyring, "candidates", candidates)
    folder = suite / "shattered"
    report = pgpsig.verify_detached(
        (folder / "shattered-2.pdf").read_bytes(),
        (folder / "shattered-1.pdf.asc").read_bytes(),
        keyring=tmp_path,
        policy="freepbx-legacy",
        now=datetime(2026, 1, 1, tzinfo=timezone.utc),
    )
    assert not report.ok
    [sig] = report.signatures
    assert sig.status.value == "bad"
    assert sig.reason == "SHA-1 collision attack detected"
    assert sig.signer == "D1A66E1A23B182C9980F788CFBFCC82A015E7330"
    assert len(scans) == 1  # the PDF once, for Bob's key only
