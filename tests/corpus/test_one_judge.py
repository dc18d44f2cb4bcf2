"""One judge, one answer: ``key list``, ``verify`` and ``check`` agree on every key and certification.

Over every verify and check vector in ``vectors/`` (the attack corpus included) and the real FreePBX
signatures and keys of the shared conformance data, as the library answers them (the CLI is a thin
shell over these calls):

(a) **keys**: for each signature that verifies cryptographically, ``verify --at T`` judged the
    signing key at the signature's creation time t; ``key list --at t`` must give that key the same
    state (good = valid, revoked, expired, invalid). Soft revocations made after t are not known
    at t and do not touch a signature made at t, so the two questions are the same question;
(b) **certifications and roots**: for each signer and each certificate R of the keyring,
    ``check --at T`` with R as the only trust root trusts the signer exactly when ``key list --at T``
    shows R valid and either R is the signer or R is among the signer's ``certified_by``;
(c) **revocation**: a signer whose trust is refused for a revocation (``check``'s REVOKED) is shown
    by ``key list`` as revoked, or with a ``revoked`` certification by the root, or the root revoked.

A drift between the commands (``key list`` ignoring ``--at``, a certification rule applied by one
and not the other, a root's own state forgotten) fails here with the vector's name.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from conftest import conformance_path
from pgpsig.certs.keyring import Keyring, load_keyring
from pgpsig.engine.judge import Judge
from pgpsig.engine.trust import TrustRoots, decide_trust
from pgpsig.errors import PgpsigError
from pgpsig.keys import list_keys
from pgpsig.policy import Policy, policy_named
from pgpsig.report import SignatureResult, SigStatus
from pgpsig.verify import verify_clearsigned, verify_detached

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "vectors"
_KEY_STATES = {
    SigStatus.GOOD: "valid",
    SigStatus.REVOKED: "revoked",
    SigStatus.EXPIRED: "expired",
    SigStatus.INVALID_KEY: "invalid",
}


@dataclass(frozen=True)
class Case:
    """A keyring, a signature (clear-signed, or detached over data) and a reference time."""

    name: str
    keyring: tuple[Path, ...]
    signature: Path
    data: Path | None
    at: datetime
    policy: str


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _policy_arg(args: list[str]) -> str:
    return args[args.index("--policy") + 1] if "--policy" in args else "default"


def _cases() -> Iterator[Case]:
    rows = json.loads((VECTORS / "expected.json").read_text(encoding="utf-8"))
    attacks = json.loads((VECTORS / "attacks" / "expected.json").read_text(encoding="utf-8"))
    for row in [*rows, *attacks["verify"]]:
        yield Case(
            row["name"],
            tuple(VECTORS / c for c in row["cert"]),
            VECTORS / row["signature"],
            VECTORS / row["data"] if row["data"] else None,
            _at(row["at"]),
            _policy_arg(row["args"]),
        )
    for row in attacks["check"]:
        sig = next((t["copy"] for t in row["tree"] if t.get("file") == "module.sig"), None)
        if sig is None or not row["keyring"]:
            continue
        yield Case(
            "check:" + row["name"],
            tuple(VECTORS / c for c in row["keyring"]),
            VECTORS / sig,
            None,
            _at(row["at"]),
            _policy_arg(row["args"]) if "--policy" in row["args"] else "default",
        )
    base = conformance_path()
    if base is not None:
        fb = base / "freepbx"
        for case in json.loads((fb / "manifest.json").read_text(encoding="utf-8")):
            sig = fb / "cases" / case["case"] / "module.sig"
            if sig.stat().st_size:
                yield Case(
                    "freepbx:" + case["case"],
                    (fb / "keys",),
                    sig,
                    None,
                    _at("2026-01-01T00:00:00Z"),
                    "freepbx-legacy",
                )


CASES = list(_cases())


def _verify(case: Case, ring: Keyring, policy: Policy) -> tuple[SignatureResult, ...]:
    try:
        if case.data is not None:
            return verify_detached(
                case.data, case.signature.read_bytes(), ring, policy=policy, now=case.at
            ).signatures
        return verify_clearsigned(case.signature, ring, policy=policy, now=case.at).signatures
    except PgpsigError:
        return ()  # malformed input: nothing was judged


def _key_state(ring: Keyring, policy: Policy, at: datetime, fpr: str) -> str:
    """``key list --at``'s state of a key *as a signing key*: a valid key without Sign is invalid."""
    for info in list_keys(ring, now=at, policy=policy):
        if info.fingerprint == fpr:
            may_sign = info.flags is None or "sign" in info.flags
            return info.validity if info.validity != "valid" or may_sign else "invalid"
        for sub in info.subkeys:
            if sub.fingerprint == fpr:
                return sub.validity if sub.validity != "valid" or "sign" in sub.flags else "invalid"
    raise AssertionError(f"key list does not show {fpr}")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_key_list_verify_and_check_agree(case: Case) -> None:
    try:
        ring = load_keyring(case.keyring)
    except PgpsigError:
        pytest.skip("the keyring itself is malformed: neither command judges a key")
    policy = policy_named(case.policy)
    judged = [
        s
        for s in _verify(case, ring, policy)
        if s.status in _KEY_STATES and s.signer and s.primary and s.created
    ]
    # (a) keys: verify at T judged the key at t; key list at t must say the same.
    for s in judged:
        assert s.signer is not None and s.created is not None
        state = _key_state(ring, policy, s.created, s.signer)
        assert state == _KEY_STATES[s.status], (
            f"{case.name}: verify says {s.status.value} for {s.signer} ({s.reason}), "
            f"key list --at {s.created.isoformat()} says {state}"
        )
    # (b), (c) certifications and roots, as of T.
    listed = {k.fingerprint: k for k in list_keys(ring, now=case.at, policy=policy)}
    judge = Judge(policy, case.at, ring)
    for s in judged:
        if s.status is not SigStatus.GOOD:
            continue
        assert s.primary is not None
        signer = ring.get(s.primary)
        assert signer is not None
        for root in ring:
            decision = decide_trust(
                signer, roots=TrustRoots(frozenset({root.fingerprint})), judge=judge
            )
            info, rinfo = listed[signer.fingerprint], listed[root.fingerprint]
            expected = rinfo.validity == "valid" and (
                root is signer or root.fingerprint in info.certified_by
            )
            assert decision.trusted == expected, (
                f"{case.name}: check with root {root.fingerprint} says trusted={decision.trusted}"
                f" ({decision.reason}); key list says root {rinfo.validity}, certified_by "
                f"{list(info.certified_by)}"
            )
            if decision.revoked:
                revoked_cert = any(
                    c.issuer == root.fingerprint and c.status == "revoked"
                    for c in info.certifications
                )
                assert info.validity == "revoked" or rinfo.validity == "revoked" or revoked_cert, (
                    f"{case.name}: check says revoked, key list shows no revocation"
                )
