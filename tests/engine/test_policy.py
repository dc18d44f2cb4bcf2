"""Policy profiles: hash cutoffs by signature kind and date, key sizes, legacy warnings."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from pgpsig.errors import PolicyError
from pgpsig.openpgp.packets import PublicKey
from pgpsig.policy import Policy, SignatureKind, policy_named

T2020 = datetime(2020, 1, 1, tzinfo=timezone.utc)
T2024 = datetime(2024, 1, 1, tzinfo=timezone.utc)
DATA, SELF, CERT = SignatureKind.DATA, SignatureKind.SELF, SignatureKind.CERTIFICATION


@pytest.mark.parametrize(
    ("profile", "algo", "kind", "at", "ok"),
    [
        ("default", 8, DATA, T2024, True),
        ("default", 10, DATA, T2024, True),
        ("default", 1, DATA, T2020, False),  # MD5 never
        ("default", 1, SELF, T2020, False),
        ("default", 3, DATA, T2020, False),  # RIPEMD-160 never
        ("default", 2, DATA, T2020, False),  # SHA-1 data signatures never by default
        ("default", 2, SELF, T2020, True),  # SHA-1 self-signatures before 2023-02-01
        ("default", 2, SELF, T2024, False),
        ("default", 2, CERT, T2020, True),
        ("default", 2, CERT, T2024, False),
        ("freepbx-legacy", 2, DATA, T2024, True),  # with a warning
        ("freepbx-legacy", 1, DATA, T2020, False),
        ("default", 99, DATA, T2020, False),  # unknown: rejected by default
    ],
)
def test_hash_cutoffs(profile: str, algo: int, kind: SignatureKind, at: datetime, ok: bool) -> None:
    p = policy_named(profile)
    if ok:
        p.check_hash(algo, kind=kind, at=at)
    else:
        with pytest.raises(PolicyError):
            p.check_hash(algo, kind=kind, at=at)


def test_legacy_sha1_warns() -> None:
    w = policy_named("freepbx-legacy").check_hash(2, kind=DATA, at=T2024)
    assert w == "SHA1 accepted by policy freepbx-legacy"
    assert policy_named("default").check_hash(8, kind=DATA, at=T2024) is None


def test_naive_time_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Policy().check_hash(8, kind=DATA, at=datetime(2024, 1, 1))  # noqa: DTZ001


def _key(algo: int, bits: int) -> PublicKey:
    return PublicKey(
        version=4,
        created=T2020,
        algorithm=algo,
        params=(),
        curve=None,
        bits=bits,
        body=b"",
        fingerprint="00" * 20,
        is_subkey=False,
    )


@pytest.mark.parametrize(
    ("algo", "bits", "ok"),
    [
        (1, 1024, False),
        (1, 2047, False),
        (1, 2048, True),
        (17, 1024, False),
        (17, 3072, True),
        (16, 1024, False),
        (22, 256, True),
        (27, 256, True),
    ],
)
def test_key_sizes(algo: int, bits: int, ok: bool) -> None:
    if ok:
        Policy().check_key(_key(algo, bits))
    else:
        with pytest.raises(PolicyError, match="too short"):
            Policy().check_key(_key(algo, bits))


def test_unknown_profile() -> None:
    with pytest.raises(ValueError, match="unknown policy"):
        policy_named("lax")


@pytest.mark.parametrize(
    ("profile", "algo", "kind", "may"),
    [
        ("default", 8, DATA, True),  # SHA-256: no cutoff
        ("default", 2, DATA, False),  # SHA-1 data signatures never
        ("default", 2, SELF, True),  # SHA-1 self-signatures made before the cutoff
        ("default", 1, SELF, False),  # MD5 never
        ("default", 99, DATA, False),  # not in the tables at all
        ("freepbx-legacy", 2, DATA, True),  # accepted with a warning
    ],
)
def test_may_accept(profile: str, algo: int, kind: SignatureKind, may: bool) -> None:
    """Whether some signature of the kind and hash could pass ``check_hash``: the CLI opens the
    SHA-1 verdict cache only when a SHA-1 data signature could."""
    assert policy_named(profile).may_accept(algo, kind=kind) is may
    times = [datetime(1990, 1, 1, tzinfo=timezone.utc), T2020, T2024]
    passes = []
    for at in times:
        try:
            policy_named(profile).check_hash(algo, kind=kind, at=at)
            passes.append(True)
        except PolicyError:
            passes.append(False)
    assert any(passes) is may
