"""A SHA-1 collision attack in the signed data makes a signature bad, whatever the policy.

The SHAttered pair (shared conformance data, interop suite): Bob signed each PDF with SHA-1; both
PDFs have one SHA-1, so each signature also verifies over the other one. Under ``freepbx-legacy``
(which accepts SHA-1 data signatures) all four combinations are refused, reason "SHA-1 collision
attack detected", and Bob's SHA-1 signature over an ordinary file stays good. Unit level:
:func:`pgpsig.openpgp.signature.new_hash` gives SHA-1 hash objects whose digest is hashlib's and
which refuse the "SHA-1 is a Shambles" pair (``vectors/sha1dc/``).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pgpsig.errors import SignatureError
from pgpsig.openpgp.ids import HashAlgorithm
from pgpsig.openpgp.sha1dc import COLLISION_REASON
from pgpsig.openpgp.signature import new_hash

Run = Callable[..., subprocess.CompletedProcess[bytes]]
VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "sha1dc"


@pytest.fixture(scope="module")
def suite(conformance: Path) -> Path:
    base = conformance / "openpgp" / "interop-suite"
    if not (base / "shattered" / "shattered-1.pdf.asc").is_file():
        pytest.skip("the SHAttered signatures are not in the conformance data (interop-suite)")
    return base


def _verify(pgpsig: Run, suite: Path, signature: str, data: str, *extra: str) -> dict[str, Any]:
    folder = suite / "shattered"
    r = pgpsig(
        "verify",
        "--json",
        *extra,
        "--keyring",
        suite / "certificates" / "bob.pgp",
        "--signature",
        folder / signature,
        folder / data,
    )
    report = json.loads(r.stdout)
    assert isinstance(report, dict)
    report["exit"] = r.returncode
    return report


@pytest.mark.parametrize("signature", ["shattered-1.pdf.asc", "shattered-2.pdf.asc"])
@pytest.mark.parametrize("data", ["shattered-1.pdf", "shattered-2.pdf"])
def test_shattered_refused_under_freepbx_legacy(
    pgpsig: Run, suite: Path, signature: str, data: str
) -> None:
    report = _verify(pgpsig, suite, signature, data, "--policy", "freepbx-legacy")
    assert report["exit"] == 1
    assert report["ok"] is False
    [sig] = report["signatures"]
    assert sig["status"] == "bad"
    assert sig["reason"] == COLLISION_REASON == "SHA-1 collision attack detected"
    assert sig["signer"] == "D1A66E1A23B182C9980F788CFBFCC82A015E7330"


def test_baseline_sha1_signature_stays_good(pgpsig: Run, suite: Path) -> None:
    report = _verify(
        pgpsig, suite, "shattered-baseline.asc", "hello-world.txt", "--policy", "freepbx-legacy"
    )
    assert report["exit"] == 0
    [sig] = report["signatures"]
    assert sig["status"] == "good"
    assert sig["hash_algorithm"] == "SHA1"


def test_shattered_not_good_under_the_default_policy(pgpsig: Run, suite: Path) -> None:
    report = _verify(pgpsig, suite, "shattered-1.pdf.asc", "shattered-2.pdf")
    assert report["exit"] == 1
    [sig] = report["signatures"]
    assert sig["status"] != "good"


def test_new_hash_sha1_refuses_a_collision() -> None:
    for name in ("sha-mbles-1.bin", "sha-mbles-2.bin"):
        h = new_hash(4, HashAlgorithm.SHA1)
        h.update((VECTORS / name).read_bytes())
        copy = h.copy()
        copy.update(b"a signature trailer")
        for hasher in (h, copy):
            with pytest.raises(SignatureError, match=COLLISION_REASON):
                hasher.digest()


def test_new_hash_sha1_is_sha1() -> None:
    data = bytes(range(256)) * 40
    h = new_hash(4, HashAlgorithm.SHA1)
    h.update(data[:1000])
    h.update(memoryview(data)[1000:])
    assert h.digest() == hashlib.sha1(data).digest()
