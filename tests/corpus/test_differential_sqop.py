"""Differential test: sqop (Sequoia) judges every vector of vectors/expected.json as we expect, except
where KNOWN_DIFFERENCES says why it legitimately differs.

For each vector, sqop runs as

* detached:     ``sqop verify --not-after AT SIG CERT... < DATA``
* clear-signed: ``sqop inline-verify --not-after AT --verifications-out V CERT... < MSG``

"accept" means sqop exits 0 and reports at least ``--min-signatures`` (default 1) distinct primary
keys; anything else is "reject" (sqop has no threshold of its own, and it does not tell "malformed"
from "bad" the way our exit codes 2 and 1 do, so only accept/reject is compared).

The table was measured with sqop 0.27.3 on sequoia-openpgp 1.12.0 (Debian bookworm). Every listed
difference must still be a difference: when sqop changes, the test says which entry to revisit.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

VECTORS = Path(__file__).resolve().parents[2] / "vectors"
EXPECTED: list[dict[str, Any]] = json.loads((VECTORS / "expected.json").read_text(encoding="utf-8"))

KNOWN_DIFFERENCES: dict[str, str] = {
    # Time and policy.
    "sig-expires-after-at": (
        "sqop judges signature expiry against the wall clock; --not-after only bounds the creation "
        "time. The signature expires 2025-07-01, after --at but before today, so sqop rejects it "
        "while pgpsig, judging as of --at, accepts."
    ),
    "sha1-selfsig-2022": (
        "Sequoia's StandardPolicy applies hash cutoffs at the policy's reference time (now), not at "
        "the self-signature's creation time: SHA-1 needing second-preimage resistance is refused "
        "since 2023-02-01 whenever it was used. pgpsig accepts SHA-1 self-signatures made before the "
        "cutoff (THREATS.md: SHA-1 certifications only before a cutoff date)."
    ),
    "hash-sha1-freepbx-legacy": (
        "sqop has no legacy policy: it rejects every SHA-1 data signature, while pgpsig's "
        "--policy freepbx-legacy accepts them for FreePBX's SHA-1 mirror signatures."
    ),
    "no-primary-uid-one-uid-expiry-t1": (
        "Sequoia takes the primary key's expiry from one binding, the primary user ID's; with no "
        "user ID flagged primary it picks the newest-bound one, which states no expiry. pgpsig "
        "takes the earliest expiry of every user ID's binding in force when none is primary (gpg "
        "also reports the key expired)."
    ),
    # Revocation.
    "revoked-by-designated-revoker": (
        "Sequoia treats a revocation by a designated revoker (Revocation Key subpacket) as "
        "RevocationStatus::CouldBe and sqop does not act on it; pgpsig honours it (THREATS.md: "
        "issuer = primary or designated revoker). gpg also reports the key revoked."
    ),
    "revoked-by-designated-revoker-key-id-only": (
        "As revoked-by-designated-revoker (Sequoia does not act on designated-revoker "
        "revocations); here the revocation names Bob by issuer key ID only."
    ),
    # The cleartext signature framework: sqop is lenient where the contract is strict.
    "header-notdashescaped": (
        "sqop ignores armor headers it does not know in the clear-signed header block; pgpsig "
        "allows only Hash (THREATS.md, CVE-2025-68972)."
    ),
    "header-charset": (
        "sqop ignores armor headers it does not know in the clear-signed header block; pgpsig "
        "allows only Hash."
    ),
    "hash-header-unknown": (
        "sqop skips Hash header values it does not recognise; pgpsig treats an unknown value as "
        "malformed (THREATS.md, CVE-2019-11841)."
    ),
    "unescaped-dash-line": (
        "sqop takes a line starting with '-' but not '- ' as literal text; pgpsig treats it as a "
        "malformed frame."
    ),
    "bad-crc": (
        "sqop ignores a CRC-24 that does not match (RFC 9580 section 6.1 tells decoders not to "
        "reject on a CRC mismatch); pgpsig checks the CRC when present (docs/choices.md)."
    ),
    "two-blocks-good-then-bad": (
        "sqop inline-verify verifies the first clear-signed block and ignores what follows its END "
        "line; pgpsig judges every block and reports the bad second signature."
    ),
}

Oracle = Callable[[str], str]


def min_signatures(case: dict[str, Any]) -> int:
    args = case["args"]
    return int(args[args.index("--min-signatures") + 1]) if "--min-signatures" in args else 1


def sqop_verdict(sqop: str, case: dict[str, Any], tmp_path: Path) -> tuple[bool, str]:
    """Whether sqop accepts the vector, and what it said (for failure messages)."""
    certs = [str(VECTORS / cert) for cert in case["cert"]]
    signature = VECTORS / case["signature"]
    if case["data"] is not None:
        cmd = [sqop, "verify", "--not-after", case["at"], str(signature), *certs]
        stdin = (VECTORS / case["data"]).read_bytes()
    else:
        verifications = tmp_path / "verifications.txt"
        cmd = [sqop, "inline-verify", "--not-after", case["at"]]
        cmd += ["--verifications-out", str(verifications), *certs]
        stdin = signature.read_bytes()
    r = subprocess.run(cmd, input=stdin, capture_output=True, timeout=60, check=False)
    if case["data"] is not None:
        report = r.stdout.decode(errors="replace")
    else:
        report = verifications.read_text(errors="replace") if verifications.exists() else ""
    # A verification line: "<created> <signing key fpr> <primary key fpr> [...]".
    primaries = {line.split()[2] for line in report.splitlines() if len(line.split()) >= 3}
    accepted = r.returncode == 0 and len(primaries) >= min_signatures(case)
    said = f"exit {r.returncode}, {report.strip()!r}, {r.stderr.decode(errors='replace').strip()!r}"
    return accepted, said


def test_known_differences_name_vectors() -> None:
    names = {case["name"] for case in EXPECTED}
    assert set(KNOWN_DIFFERENCES) <= names, set(KNOWN_DIFFERENCES) - names


@pytest.mark.oracle
@pytest.mark.parametrize("case", EXPECTED, ids=[case["name"] for case in EXPECTED])
def test_sqop_agrees_with_expected(case: dict[str, Any], oracle: Oracle, tmp_path: Path) -> None:
    accepted, said = sqop_verdict(oracle("sqop"), case, tmp_path)
    we_accept = case["exit"] == 0
    ours = "accept" if we_accept else f"reject (exit {case['exit']})"
    if case["name"] in KNOWN_DIFFERENCES:
        assert accepted != we_accept, (
            f"sqop now agrees with us ({ours}) on {case['name']}: remove it from KNOWN_DIFFERENCES",
            said,
        )
    else:
        assert accepted == we_accept, (
            f"sqop {'accepts' if accepted else 'rejects'}, we expect {ours}: {case['defect']}",
            said,
        )
