"""Judging one data signature (:mod:`pgpsig.engine.signatures`), on the vectors, without a subprocess.

The signature's digest is computed here over the vector's data (binary 0x00 signatures only), so
only the engine's rule is exercised: type and time, signer, hash policy, key state, the digest.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from pgpsig.certs.keyring import load_keyring
from pgpsig.engine.judge import Judge
from pgpsig.engine.signatures import judge_for, judge_signature
from pgpsig.openpgp.ids import SignatureType
from pgpsig.openpgp.packets import Signature, parse_signatures
from pgpsig.policy import policy_named
from pgpsig.report import SigStatus

VECTORS = Path(__file__).resolve().parents[2] / "vectors"
AT = datetime(2025, 6, 1, tzinfo=timezone.utc)
ROWS: dict[str, dict[str, Any]] = {
    r["name"]: r for r in json.loads((VECTORS / "expected.json").read_text(encoding="utf-8"))
}


def _digest_of(data: bytes) -> Callable[[Signature], bytes]:
    def digest(sig: Signature) -> bytes:
        assert sig.sig_type == SignatureType.BINARY
        h = sig.new_hash()
        h.update(data)
        h.update(sig.trailer())
        return h.digest()

    return digest


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("good-binary", SigStatus.GOOD),
        ("good-signing-subkey", SigStatus.GOOD),
        ("altered-data", SigStatus.BAD),
        ("sig-created-after-at", SigStatus.BAD),
        ("sig-expired-before-at", SigStatus.EXPIRED),
        ("hash-md5", SigStatus.POLICY),
        ("unknown-signer", SigStatus.UNKNOWN_KEY),
        ("key-expired-before-sig", SigStatus.EXPIRED),
        ("revoked-soft-retired-t1-sig-t2", SigStatus.REVOKED),
        ("subkey-no-backsig", SigStatus.INVALID_KEY),
    ],
)
def test_judge_signature(name: str, status: SigStatus) -> None:
    """One data signature, judged with its digest as the engine's data-signature rule says."""
    row = ROWS[name]
    ring = load_keyring([VECTORS / f for f in row["cert"]])
    (sig,) = parse_signatures((VECTORS / row["signature"]).read_bytes())
    data = (VECTORS / row["data"]).read_bytes()
    result = judge_signature(sig, _digest_of(data), judge_for(ring, policy_named("default"), AT))
    assert result.status is status, result.reason


def test_a_clear_signed_frame_needs_a_text_signature() -> None:
    row = ROWS["good-binary"]
    ring = load_keyring([VECTORS / f for f in row["cert"]])
    (sig,) = parse_signatures((VECTORS / row["signature"]).read_bytes())
    data = (VECTORS / row["data"]).read_bytes()
    judge = judge_for(ring, policy_named("default"), AT)
    assert judge_signature(sig, _digest_of(data), judge).status is SigStatus.GOOD
    framed = judge_signature(sig, _digest_of(data), judge, clearsigned=True, block=3)
    assert framed.status is SigStatus.BAD and framed.block == 3
    assert framed.reason is not None and "0x01" in framed.reason


def test_judging_a_data_signature_needs_a_keyring() -> None:
    (sig,) = parse_signatures((VECTORS / ROWS["good-binary"]["signature"]).read_bytes())
    with pytest.raises(ValueError, match="keyring"):
        judge_signature(sig, _digest_of(b""), Judge(policy_named("default"), AT))
