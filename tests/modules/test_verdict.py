"""The module verdict (pgpsig.modules.verdict) on values built here: no file, no key, no process.

Every status the README lists ("Module status", FreePBX's bits) is a named row of a
table, with its exact bits and details: a rule that changes makes a row fail. Then the edge cases:
which signature counts among several, ``expiresafter`` at the second, details in order, the
findings passed through, and the invariant that GOOD never comes with TAMPERED or INVALID over
every combination of signature, manifest and file findings.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pgpsig.engine.trust import TrustDecision
from pgpsig.modules.manifest import Manifest, ManifestEntry
from pgpsig.modules.verdict import (
    FileFinding,
    FileState,
    JudgedSignature,
    SignatureVerdict,
    TreeFindings,
    malformed,
    manifest_verdict,
    module_verdict,
    signature_verdict,
    unsigned,
)
from pgpsig.report import ModuleReport, SignatureResult, SigStatus, Status

NOW = datetime(2026, 1, 2, tzinfo=timezone.utc)
MADE = NOW - timedelta(days=1)
MODULE = Path("/srv/www/admin/modules/core")
ROOT = "R" * 40
SIGNER = "A" * 40
OTHER = "B" * 40
H1, H2, H3 = "1" * 64, "2" * 64, "3" * 64

GOOD = Status.GOOD
TAMPERED = Status.TAMPERED
INVALID = Status.INVALID
UNSIGNED = Status.UNSIGNED
EXPIRED = Status.EXPIRED
REVOKED = Status.REVOKED
TRUSTED = Status.TRUSTED
FAILED = "module.sig check failed! "

TRUST = TrustDecision(True, (ROOT, SIGNER))
NO_TRUST = TrustDecision(False, (), "no trust root certified a user ID")
CERT_REVOKED = TrustDecision(False, (), "certification by root revoked", revoked=True)


def sig(
    status: SigStatus = SigStatus.GOOD,
    *,
    primary: str | None = SIGNER,
    signer: str = SIGNER,
    reason: str | None = None,
    warnings: tuple[str, ...] = (),
) -> SignatureResult:
    return SignatureResult(
        status=status,
        signer=signer,
        primary=primary,
        created=MADE,
        hash_algorithm="SHA256",
        reason=reason,
        warnings=warnings,
    )


def judged(
    status: SigStatus = SigStatus.GOOD,
    trust: TrustDecision | None = None,
    *,
    primary: str | None = SIGNER,
    signer: str = SIGNER,
    reason: str | None = None,
) -> JudgedSignature:
    result = sig(status, primary=primary, signer=signer, reason=reason)
    return JudgedSignature(result=result, trust=trust)


def manifest(*paths: str, expiresafter: int | None = None) -> Manifest:
    entries = tuple(
        ManifestEntry(path=p, sha256=h, line=10 + i)
        for i, (p, h) in enumerate(zip(paths, itertools.cycle((H1, H2, H3))))
    )
    return Manifest(
        kind="module",
        config=(("version", "2"), ("type", "public")),
        entries=entries,
        version=2,
        type="public",
        expiresafter=expiresafter,
    )


MANIFEST = manifest("a.php", "b.php", "c.php")


def hashed(rel: str, digest: str) -> FileFinding:
    return FileFinding(rel, FileState.HASHED, f"{MODULE}/{rel}", digest)


INTACT = TreeFindings(files=(hashed("a.php", H1), hashed("b.php", H2), hashed("c.php", H3)))


def report(
    v: SignatureVerdict,
    files: TreeFindings | None = INTACT,
    *,
    m: Manifest = MANIFEST,
    strict: bool = False,
) -> ModuleReport:
    if v.use_manifest:
        v = manifest_verdict(v, m, now=NOW)
    if not v.use_manifest:
        files = None
    return module_verdict(
        module="core",
        path=MODULE,
        verdict=v,
        now=NOW,
        manifest=m if files is not None else None,
        files=files,
        strict=strict,
    )


# --------------------------------------------------------------------------------------------------
# The contract, one row a status


@dataclass(frozen=True)
class Case:
    """A module in one state, and what the verdict must say of it."""

    verdict: SignatureVerdict
    status: Status
    details: tuple[str, ...] = ()
    files: TreeFindings | None = INTACT
    manifest: Manifest = MANIFEST
    strict: bool = False
    checked: int | None = None  # files checked; None: none (the files are not looked at)
    json_status: str | None = None


ALTERED_B = TreeFindings(files=(hashed("a.php", H1), hashed("b.php", H3), hashed("c.php", H3)))
MISSING_C = TreeFindings(
    files=(hashed("a.php", H1), hashed("b.php", H2), FileFinding("c.php", FileState.MISSING))
)
CONTRACT: dict[str, Case] = {
    "129 good signature, trusted signer, every file intact": Case(
        signature_verdict([judged(trust=TRUST)]),
        GOOD | TRUSTED,
        checked=3,
        json_status="good",
    ),
    "130 trusted, a listed file altered": Case(
        signature_verdict([judged(trust=TRUST)]),
        TAMPERED | TRUSTED,
        (f"{MODULE}/b.php altered",),
        files=ALTERED_B,
        checked=3,
    ),
    "130 trusted, a listed file missing": Case(
        signature_verdict([judged(trust=TRUST)]),
        TAMPERED | TRUSTED,
        (f"{MODULE}/c.php missing",),
        files=MISSING_C,
        checked=2,
    ),
    "8 no module.sig": Case(unsigned(), UNSIGNED, ("unsigned",)),
    "4 malformed module.sig": Case(
        malformed("malformed module.sig: line 1: no BEGIN", "line 1: no BEGIN"),
        INVALID,
        (FAILED + "malformed module.sig: line 1: no BEGIN",),
        json_status="malformed",
    ),
    "4 unknown signer key": Case(
        signature_verdict([judged(SigStatus.UNKNOWN_KEY, primary=None, reason="no key 0123")]),
        INVALID,
        (FAILED + "no key 0123",),
        json_status="unknown-key",
    ),
    "4 good signature, untrusted signer: files still checked": Case(
        signature_verdict([judged(trust=NO_TRUST)]),
        INVALID,
        (FAILED + "no trust root certified a user ID",),
        checked=3,
        json_status="untrusted",
    ),
    "4|2 untrusted signer and a file altered: both reported": Case(
        signature_verdict([judged(trust=NO_TRUST)]),
        INVALID | TAMPERED,
        (FAILED + "no trust root certified a user ID", f"{MODULE}/b.php altered"),
        files=ALTERED_B,
        checked=3,
    ),
    "4 policy rejects the signature": Case(
        signature_verdict([judged(SigStatus.POLICY, reason="SHA1 not accepted")]),
        INVALID,
        (FAILED + "SHA1 not accepted",),
        json_status="policy",
    ),
    "4 unusable signer key": Case(
        signature_verdict([judged(SigStatus.INVALID_KEY, reason="not a signing key")]),
        INVALID,
        (FAILED + "not a signing key",),
    ),
    "4 malformed manifest": Case(
        manifest_verdict(
            signature_verdict([judged(trust=TRUST)]), "malformed manifest: line 3: x", now=NOW
        ),
        INVALID,
        (FAILED + "malformed manifest: line 3: x",),
        json_status="good",
    ),
    "2|4 bad signature, signer not trusted": Case(
        signature_verdict([judged(SigStatus.BAD, trust=NO_TRUST, reason="digest mismatch")]),
        TAMPERED | INVALID,
        (FAILED + "digest mismatch",),
        json_status="bad",
    ),
    "2|4 bad signature, signer unknown": Case(
        signature_verdict([judged(SigStatus.BAD, primary=None)]),
        TAMPERED | INVALID,
        (FAILED + "bad",),
    ),
    "2 bad signature, trusted signer": Case(
        signature_verdict([judged(SigStatus.BAD, trust=TRUST, reason="digest mismatch")]),
        TAMPERED,
        (FAILED + "digest mismatch",),
    ),
    "32 signer key expired at signing time": Case(
        signature_verdict([judged(SigStatus.EXPIRED, reason="key expired")]),
        EXPIRED,
        (FAILED + "key expired",),
        json_status="expired",
    ),
    "64 signer key revoked": Case(
        signature_verdict([judged(SigStatus.REVOKED, reason="key compromised")]),
        REVOKED,
        (FAILED + "key compromised",),
        json_status="revoked",
    ),
    "64 signer's certification revoked: files still checked": Case(
        signature_verdict([judged(trust=CERT_REVOKED)]),
        REVOKED,
        (FAILED + "certification by root revoked",),
        checked=3,
    ),
    "64|2 certification revoked and a file missing": Case(
        signature_verdict([judged(trust=CERT_REVOKED)]),
        REVOKED | TAMPERED,
        (FAILED + "certification by root revoked", f"{MODULE}/c.php missing"),
        files=MISSING_C,
        checked=2,
    ),
    "64 expiresafter passed: no file checked": Case(
        signature_verdict([judged(trust=TRUST)]),
        REVOKED,
        (FAILED + "Module signature expired",),
        manifest=manifest("a.php", expiresafter=int(NOW.timestamp()) - 1),
    ),
    "130 strict: a file present but not listed": Case(
        signature_verdict([judged(trust=TRUST)]),
        TAMPERED | TRUSTED,
        (f"{MODULE}/extra.php unlisted",),
        files=TreeFindings(files=INTACT.files, unlisted=("extra.php",)),
        strict=True,
        checked=3,
    ),
    "129 not strict: a file present but not listed is only reported": Case(
        signature_verdict([judged(trust=TRUST)]),
        GOOD | TRUSTED,
        files=TreeFindings(files=INTACT.files, unlisted=("extra.php",)),
        checked=3,
    ),
}


@pytest.mark.parametrize("name", list(CONTRACT))
def test_contract(name: str) -> None:
    case = CONTRACT[name]
    r = report(case.verdict, case.files, m=case.manifest, strict=case.strict)
    assert int(r.status) == int(case.status), r
    assert r.details == case.details
    assert r.module == "core" and r.path == str(MODULE) and r.checked_at == NOW
    if case.checked is None:
        assert r.files.checked == 0 and not r.files.altered and not r.files.missing
    else:
        assert r.files.checked == case.checked
    if case.json_status is not None:
        assert r.signature is not None
        assert r.signature.to_dict()["status"] == case.json_status
    assert r.ok is (r.status == GOOD | TRUSTED)
    assert not (r.status & GOOD and r.status & (TAMPERED | INVALID))


def test_unsigned_has_no_signature() -> None:
    r = report(unsigned())
    assert r.signature is None and r.to_dict()["status"] == 8


# --------------------------------------------------------------------------------------------------
# Which signature counts


def test_a_trusted_good_signature_wins_over_an_untrusted_one() -> None:
    v = signature_verdict(
        [judged(trust=NO_TRUST, primary=OTHER, signer=OTHER), judged(trust=TRUST)]
    )
    assert v.status == GOOD | TRUSTED and v.use_manifest
    assert v.signature is not None and v.signature.result.primary == SIGNER
    assert v.signature.trust_path == (ROOT, SIGNER)


@pytest.mark.parametrize("trust", [TRUST, NO_TRUST], ids=["trusted", "untrusted"])
def test_the_first_good_signature_counts_among_equals(trust: TrustDecision) -> None:
    v = signature_verdict([judged(trust=trust, primary=OTHER), judged(trust=trust)])
    assert v.signature is not None and v.signature.result.primary == OTHER


def test_a_bad_signature_is_never_hidden_by_a_good_one() -> None:
    v = signature_verdict(
        [judged(trust=TRUST), judged(SigStatus.BAD, trust=NO_TRUST, primary=OTHER, reason="x")]
    )
    assert v.status == TAMPERED | INVALID and not v.use_manifest
    assert v.details == (FAILED + "x",)
    assert v.signature is not None and v.signature.result.status is SigStatus.BAD


def test_a_failure_next_to_a_good_signature_is_not_reported() -> None:
    v = signature_verdict([judged(SigStatus.UNKNOWN_KEY, primary=None), judged(trust=TRUST)])
    assert v.status == GOOD | TRUSTED and v.details == ()


def test_a_good_signature_without_a_primary_key_does_not_count() -> None:
    v = signature_verdict([judged(primary=None, trust=TRUST), judged(SigStatus.POLICY)])
    assert v.status == INVALID and not v.use_manifest


def test_a_good_signature_whose_trust_was_not_decided_is_untrusted() -> None:
    v = signature_verdict([judged(trust=None)])
    assert v.status == INVALID and v.use_manifest
    assert v.details == (FAILED + "untrusted signer",)


@pytest.mark.parametrize(
    ("statuses", "want"),
    [
        ((SigStatus.UNKNOWN_KEY, SigStatus.BAD), SigStatus.BAD),
        ((SigStatus.EXPIRED, SigStatus.REVOKED), SigStatus.REVOKED),
        ((SigStatus.INVALID_KEY, SigStatus.EXPIRED), SigStatus.EXPIRED),
        ((SigStatus.POLICY, SigStatus.INVALID_KEY), SigStatus.INVALID_KEY),
        ((SigStatus.UNKNOWN_KEY, SigStatus.POLICY), SigStatus.POLICY),
        ((SigStatus.MALFORMED, SigStatus.UNKNOWN_KEY), SigStatus.UNKNOWN_KEY),
        ((SigStatus.MISSING, SigStatus.MALFORMED), SigStatus.MALFORMED),
        ((SigStatus.MISSING, SigStatus.UNTRUSTED), SigStatus.MISSING),  # unranked: the first
    ],
)
def test_the_most_telling_failure_is_reported(
    statuses: tuple[SigStatus, ...], want: SigStatus
) -> None:
    v = signature_verdict([judged(s, reason=s.value) for s in statuses])
    assert v.signature is not None and v.signature.result.status is want
    assert v.details == (FAILED + want.value,)


def test_no_signature_at_all_fails_closed() -> None:
    v = signature_verdict([])
    assert v.status == INVALID and not v.use_manifest
    assert v.signature is not None and v.signature.result.status is SigStatus.MISSING


def test_a_failure_without_a_reason_names_its_status() -> None:
    v = signature_verdict([judged(SigStatus.EXPIRED)])
    assert v.details == (FAILED + "expired",)


def test_a_revocation_with_no_reason_and_an_untrusted_signer_with_none() -> None:
    v = signature_verdict([judged(trust=TrustDecision(False, revoked=True))])
    assert v.status == REVOKED and v.details == (FAILED + "revoked",)
    assert v.signature is not None and v.signature.to_dict()["reason"] == "revoked"
    v = signature_verdict([judged(trust=TrustDecision(False))])
    assert v.status == INVALID and v.details == (FAILED + "untrusted signer",)
    assert v.signature is not None and v.signature.to_dict()["reason"] == "untrusted signer"


@pytest.mark.parametrize(
    ("trust", "status", "reason"),
    [
        (CERT_REVOKED, REVOKED, "certification by root revoked"),
        (NO_TRUST, INVALID, "no trust root certified a user ID"),
        (TRUST, GOOD | TRUSTED, None),
    ],
    ids=["revoked", "untrusted", "trusted"],
)
def test_why_a_good_signature_does_not_count_is_its_json_reason(
    trust: TrustDecision, status: Status, reason: str | None
) -> None:
    """The trust decision's reason is the detail and the signature's JSON ``reason``."""
    v = signature_verdict([judged(trust=trust)])
    assert v.status == status
    assert v.details == (() if reason is None else (FAILED + reason,))
    assert v.signature is not None
    assert v.signature.trust_reason == reason
    assert v.signature.to_dict()["reason"] == reason


def test_a_failed_signature_keeps_its_own_reason() -> None:
    v = signature_verdict([judged(SigStatus.BAD, trust=NO_TRUST, reason="digest mismatch")])
    assert v.signature is not None and v.signature.to_dict()["reason"] == "digest mismatch"


def test_warnings_of_signature_trust_and_revocations_in_that_order() -> None:
    trust = TrustDecision(True, (ROOT, SIGNER), warnings=("trust warning",))
    j = JudgedSignature(
        result=sig(warnings=("SHA-1 accepted by policy freepbx-legacy",)),
        trust=trust,
        warnings=("key revoked (retired) after this signature was made",),
    )
    v = signature_verdict([j])
    assert v.signature is not None
    assert v.signature.warnings == (
        "SHA-1 accepted by policy freepbx-legacy",
        "trust warning",
        "key revoked (retired) after this signature was made",
    )
    assert v.status == GOOD | TRUSTED


# --------------------------------------------------------------------------------------------------
# The manifest


def test_expiresafter_is_passed_only_after_its_second() -> None:
    good = signature_verdict([judged(trust=TRUST)])
    t = int(NOW.timestamp())
    assert manifest_verdict(good, manifest("a", expiresafter=t), now=NOW) is good
    assert manifest_verdict(good, manifest("a", expiresafter=t + 1), now=NOW) is good
    late = manifest_verdict(good, manifest("a", expiresafter=t), now=NOW + timedelta(seconds=1))
    assert late.status == REVOKED and not late.use_manifest
    assert late.signature == good.signature


def test_expiresafter_revokes_even_an_untrusted_module() -> None:
    untrusted = signature_verdict([judged(trust=NO_TRUST)])
    v = manifest_verdict(untrusted, manifest("a", expiresafter=1), now=NOW)
    assert v.status == REVOKED and v.details == (FAILED + "Module signature expired",)


def test_an_unusable_manifest_keeps_the_signature() -> None:
    good = signature_verdict([judged(trust=TRUST)])
    v = manifest_verdict(good, "local signature tag must list exactly one file", now=NOW)
    assert v.status == INVALID and not v.use_manifest
    assert v.details == (FAILED + "local signature tag must list exactly one file",)
    assert v.signature == good.signature


def test_no_manifest_without_a_good_signature() -> None:
    with pytest.raises(ValueError, match="not authentic"):
        manifest_verdict(unsigned(), MANIFEST, now=NOW)


def test_a_good_signature_needs_its_files() -> None:
    good = signature_verdict([judged(trust=TRUST)])
    with pytest.raises(ValueError, match="files must be checked"):
        module_verdict(module="core", path=MODULE, verdict=good, now=NOW)
    with pytest.raises(ValueError, match="files must be checked"):
        module_verdict(module="core", path=MODULE, verdict=good, now=NOW, manifest=MANIFEST)


# --------------------------------------------------------------------------------------------------
# The files


GOOD_TRUSTED = signature_verdict([judged(trust=TRUST)])


def test_every_kind_of_file_finding_with_details_in_order() -> None:
    files = TreeFindings(
        files=(
            FileFinding("a.php", FileState.ESCAPES),
            hashed("b.php", H3),  # altered
            FileFinding("c.php", FileState.UNREADABLE, "/elsewhere/c.php"),
            FileFinding("d.php", FileState.MISSING),
            hashed("e.php", H2),  # intact
            FileFinding("f.php", FileState.UNREADABLE),  # no location: the listed path is shown
        ),
        skipped=("amp_conf/astetc/x.conf",),
        unlisted=("new.php",),
        symlinks=("c.php", "lib"),
        escaping=("a.php", "lib"),
        walk_error="more than 200000 files",
    )
    m = manifest("a.php", "b.php", "c.php", "d.php", "e.php", "f.php")
    r = report(GOOD_TRUSTED, files, m=m, strict=True)
    assert r.status == TAMPERED | TRUSTED
    assert r.details == (
        f"{MODULE}: cannot walk module: more than 200000 files",
        f"{MODULE}/a.php symlink leaves the module",
        f"{MODULE}/b.php altered",
        "/elsewhere/c.php missing",
        f"{MODULE}/d.php missing",
        f"{MODULE}/f.php missing",
        f"{MODULE}/lib symlink leaves the module",
        f"{MODULE}/new.php unlisted",
    )
    f = r.files
    assert f.checked == 4  # hashed or found unreadable: b, c, e, f
    assert f.altered == ("a.php", "b.php", "lib")
    assert f.missing == ("c.php", "d.php", "f.php")
    assert f.unlisted == ("new.php",)
    assert f.symlinks == ("c.php", "lib")
    assert f.escaping == ("a.php", "lib")
    assert f.skipped == ("amp_conf/astetc/x.conf",)


def test_an_unwalkable_tree_fails_only_when_strict() -> None:
    files = TreeFindings(files=INTACT.files, walk_error="")
    r = report(GOOD_TRUSTED, files)
    assert r.status == GOOD | TRUSTED
    assert r.details == (f"{MODULE}: cannot walk module: ",)
    assert report(GOOD_TRUSTED, files, strict=True).status == TAMPERED | TRUSTED


def test_a_digest_for_a_path_the_manifest_does_not_list_is_altered() -> None:
    r = report(GOOD_TRUSTED, TreeFindings(files=(hashed("zzz.php", H1),)))
    assert r.status == TAMPERED | TRUSTED and r.files.altered == ("zzz.php",)


def test_a_hashed_finding_without_a_digest_is_missing() -> None:
    r = report(GOOD_TRUSTED, TreeFindings(files=(FileFinding("a.php", FileState.HASHED, "/x"),)))
    assert r.status == TAMPERED | TRUSTED and r.details == ("/x missing",)


def test_nothing_to_look_at_is_good() -> None:
    """The manifest lists only skipped paths (framework's astetc): nothing checked, nothing wrong."""
    r = report(GOOD_TRUSTED, TreeFindings(skipped=("amp_conf/astetc/a.conf",)))
    assert r.status == GOOD | TRUSTED and r.files.checked == 0


def test_the_report_json() -> None:
    r = report(signature_verdict([judged(trust=TRUST)]), ALTERED_B)
    d = r.to_dict()
    assert d["status"] == 130 and d["flags"] == ["TAMPERED", "TRUSTED"]
    assert d["files"]["altered"] == ["b.php"] and d["files"]["checked"] == 3
    assert d["signature"]["trusted"] is True and d["signature"]["trust_path"] == [ROOT, SIGNER]


# --------------------------------------------------------------------------------------------------
# GOOD never with TAMPERED or INVALID, over every combination


SIGNATURES = {
    "trusted": [judged(trust=TRUST)],
    "untrusted": [judged(trust=NO_TRUST)],
    "cert-revoked": [judged(trust=CERT_REVOKED)],
    "bad-trusted": [judged(SigStatus.BAD, trust=TRUST)],
    "bad-untrusted": [judged(SigStatus.BAD, trust=NO_TRUST)],
    "good-and-bad": [judged(trust=TRUST), judged(SigStatus.BAD, primary=OTHER)],
    "expired": [judged(SigStatus.EXPIRED)],
    "revoked": [judged(SigStatus.REVOKED)],
    "unknown": [judged(SigStatus.UNKNOWN_KEY, primary=None)],
}
MANIFESTS: dict[str, Manifest | str] = {
    "ok": MANIFEST,
    "expired": manifest("a.php", expiresafter=1),
    "malformed": "malformed manifest: x",
}
FILES = {
    "intact": INTACT,
    "altered": ALTERED_B,
    "missing": MISSING_C,
    "escaping": TreeFindings(files=INTACT.files, escaping=("lib",)),
    "unlisted": TreeFindings(files=INTACT.files, unlisted=("x.php",)),
    "unwalkable": TreeFindings(files=INTACT.files, walk_error="loop"),
}


@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
@pytest.mark.parametrize("files", list(FILES))
@pytest.mark.parametrize("mf", list(MANIFESTS))
@pytest.mark.parametrize("sigs", list(SIGNATURES))
def test_good_never_with_tampered_or_invalid(sigs: str, mf: str, files: str, strict: bool) -> None:
    v = signature_verdict(SIGNATURES[sigs])
    m = MANIFESTS[mf]
    if v.use_manifest:
        v = manifest_verdict(v, m, now=NOW)
    r = module_verdict(
        module="core",
        path=MODULE,
        verdict=v,
        now=NOW,
        manifest=m if v.use_manifest and isinstance(m, Manifest) else None,
        files=FILES[files] if v.use_manifest else None,
        strict=strict,
    )
    s = r.status
    assert not (s & GOOD and s & (TAMPERED | INVALID))
    assert not s & Status.UNSUPPORTED  # never set, as in FreePBX
    files_bad = files in ("altered", "missing", "escaping") or (
        strict and files in ("unlisted", "unwalkable")
    )
    usable = mf == "ok" and sigs in ("trusted", "untrusted", "cert-revoked")
    assert r.ok is (sigs == "trusted" and usable and not files_bad)
    assert bool(s & TAMPERED) is (
        sigs.startswith("bad") or sigs == "good-and-bad" or (usable and files_bad)
    )
    assert bool(r.files.checked) is usable  # files looked at exactly when the manifest is usable
