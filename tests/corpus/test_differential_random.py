"""Differential testing against Sequoia (``sqop``): randomized variations, and the attack corpus.

(1) A seeded generator (``make_case``) builds :data:`N_CASES` certificate + signature pairs with the
    vectors' independent OpenPGP writer (``vectors/generate.py``), each a random combination of:
    key algorithm (Ed25519, RSA-2048, ECDSA P-256), signing key (primary or a subkey), self- and
    data-signature hash algorithms (SHA-2, SHA-1, MD5), key flags, key and subkey expiry, the time
    of the self-signature, key and subkey revocations with every reason class, before and after
    the signature, subkey binding flags, back-signatures (valid, missing, corrupt, by another key,
    expired), binding times, signature creation and expiry times (before the key, in the future,
    inside the clock skew), issuer subpackets (fingerprint, key ID, hashed, unhashed, none),
    unknown and critical subpackets and notations, duplicated creation times, and for text: detached
    0x01 and clear-signed modes over text with trailing whitespace, CR LF, bare CR, dash lines,
    blank lines and no final line break, with honest, double, missing or wrong ``Hash:`` headers.

    Each case runs through pgpsig (in process; a sample also through the CLI, which must agree) and
    through ``sqop verify`` / ``sqop inline-verify --not-after``. Every disagreement must be
    explained by a rule of :data:`KNOWN` (a predicate over the case's features, the direction of
    the disagreement, and the reason); every rule must explain at least one disagreement of the run,
    so the table cannot rot.

(2) Every ``verify`` case of the attack corpus runs through sqop too; the cases where sqop answers
    differently are exactly :data:`KNOWN_ATTACK_DIFFERENCES` (vectors/README.md has the same table).

Measured with sqop 0.27.3 (sequoia-openpgp 1.12.0). ``PGPSIG_DIFF_CASES`` changes the number of
cases (the rot check then only requires each rule that applies to explain something).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from pgpsig.certs.keyring import Keyring, read_certs
from pgpsig.errors import PgpsigError
from pgpsig.policy import policy_named
from pgpsig.verify import verify_clearsigned, verify_detached

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "vectors"
sys.path.insert(0, str(VECTORS))
import generate as g  # noqa: E402 - the vectors' independent OpenPGP writer

SEED = 20250601
DEFAULT_CASES = 400
N_CASES = int(os.environ.get("PGPSIG_DIFF_CASES", DEFAULT_CASES))
CLI_SAMPLE = 12
AT = datetime.fromisoformat(g.AT_ISO.replace("Z", "+00:00"))
DAY = g.DAY
FAR = g.utc("2040-01-01T00:00:00Z")
POLICY = policy_named("default")

Oracle = Callable[[str], str]
Run = Callable[..., subprocess.CompletedProcess[bytes]]

TEXTS = {
    "plain": "Differential test text.\nSecond line.\n",
    "trailing_ws": "trailing spaces   \ntrailing tab\t\nboth \t \n",
    "crlf": "windows\r\nline endings\r\n",
    "bare_cr": "a bare\rcarriage return\ninside a line\n",
    "dashes": "-- a dash line\n- another\n---\n",
    "from": "From the start\nFrom here\n",
    "blank_lines": "\n\nbetween\n\n\n",
    "no_final_lf": "no final line break",
}


# ----------------------------------------------------------------------------------------------
# (1) The generator of variations.


@dataclass
class Case:
    index: int
    features: dict[str, Any]
    cert: bytes
    signature: bytes  # binary signature packets (detached), or the whole clear-signed message
    data: bytes | None  # None: clear-signed
    extra_certs: list[bytes] = field(default_factory=list)


#: What a case may change from a good baseline. Each case changes none (a quarter of them), one
#: (most), or a few at once, so that most disagreements point at one cause.
DIMENSIONS = (
    "self_hash",
    "flags",
    "key_expiry",
    "selfsig_late",
    "revocation",
    "uid_revoked",
    "sub_flags",
    "backsig",
    "bound",
    "sub_expiry",
    "sub_revocation",
    "hash",
    "created",
    "sig_expiry",
    "issuer",
    "extra",
    "hash_header",
)


class Chooser:
    """Picks each dimension's value: the baseline unless the case mutates that dimension."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        k = rng.choices([0, 1, 2, 3], weights=[25, 45, 20, 10])[0]
        self.mutated = set(rng.sample(DIMENSIONS, k))

    def __call__(self, name: str, common: Any, *rare: Any) -> Any:
        return self.rng.choice(rare) if name in self.mutated and rare else common


def flags_value(name: str | None) -> bytes | None:
    table = {
        "CS": bytes([g.FLAG_CERTIFY | g.FLAG_SIGN]),
        "C": bytes([g.FLAG_CERTIFY]),
        "S": bytes([g.FLAG_SIGN]),
        "E": bytes([g.FLAG_ENCRYPT_COMMS | g.FLAG_ENCRYPT_STORAGE]),
        "SE": bytes([g.FLAG_SIGN | g.FLAG_ENCRYPT_COMMS]),
        "empty": b"",
    }
    return None if name is None else table[name]


def expiry_time(name: str | None) -> int | None:
    return {None: None, "T1": g.T1, "T3": g.T3, "far": FAR}[name]


def revocation_sig(
    signer: g.Key, sig_type: int, payload: bytes, code: int | None, when: int
) -> bytes:
    hashed = [] if code is None else [g.sp_reason(code, "differential")]
    return g.standard_sign(signer, sig_type, payload, created=when, hashed=hashed)


def make_case(index: int) -> Case:
    """One random variation (deterministic for a given index)."""
    rng = random.Random(f"{SEED}:{index}")
    pick = Chooser(rng)
    f: dict[str, Any] = {}
    f["alg"] = rng.choice(["ed25519", "ed25519", "ed25519", "rsa", "rsa", "ecdsa"])
    primary = {"ed25519": g.ALICE, "rsa": g.ROB, "ecdsa": g.ERIN}[f["alg"]]
    f["old_key"] = f["alg"] == "rsa" and rng.random() < 0.5  # an RSA key made in 2022
    key_time = g.T_OLD if f["old_key"] else g.T0
    primary = primary.at(key_time)
    f["signer"] = rng.choice(["primary", "primary", "subkey"])
    self_hashes = ("SHA512",) if f["alg"] == "ecdsa" else ("SHA512", "SHA1")  # P-256: SHA-2 only
    f["self_hash"] = pick("self_hash", "SHA256", *self_hashes)
    if f["old_key"]:
        f["self_hash"] = rng.choice(["SHA1", "SHA256"])  # 2022: before the SHA-1 cutoff
    f["flags"] = pick("flags", "CS", "C", "S", None, None, "empty", "E")
    f["key_expiry"] = pick("key_expiry", None, "T1", "T3", "far")
    f["selfsig_late"] = pick("selfsig_late", False, True)
    f["revocation"] = pick(
        "revocation",
        None,
        *[(code, when) for code in (None, 0, 1, 2, 3, 32, 100, 200) for when in ("T1", "T3")],
    )
    f["uid_revoked"] = pick("uid_revoked", False, True)

    uid = "Differential <diff@example.org>"
    self_time = g.T3 if f["selfsig_late"] else key_time
    parts: list[bytes] = []
    if f["revocation"] is not None:
        code, when = f["revocation"]
        parts.append(
            revocation_sig(
                primary,
                g.SIG_KEY_REVOCATION,
                primary.hashed_form,
                code,
                {"T1": g.T1, "T3": g.T3}[when],
            )
        )
    extra_hashed = []
    flags = flags_value(f["flags"])
    if flags is not None:
        extra_hashed.append(g.subpacket(g.SP_KEY_FLAGS, flags))
    uid_block = g.user_id(
        primary,
        uid,
        created=self_time,
        flags=None,
        key_expires=expiry_time(f["key_expiry"]),
        hash_name=f["self_hash"],
        extra_hashed=extra_hashed,
    )
    if f["uid_revoked"]:
        payload = primary.hashed_form + g.uid_hashed_form(uid)
        uid_block += revocation_sig(primary, g.SIG_CERT_REVOCATION, payload, 32, g.T1)
    parts.append(uid_block)

    signer = primary
    if f["signer"] == "subkey":
        sub = g.ALICE_SUB.at(key_time)
        signer = sub
        f["sub_flags"] = pick("sub_flags", "S", "E", "SE", "C")
        f["backsig"] = pick("backsig", "ok", "missing", "corrupt", "other", "expired")
        f["bound"] = pick("bound", "T0", "T3")
        f["sub_expiry"] = pick("sub_expiry", None, "T1", "T3", "far")
        f["sub_revocation"] = pick(
            "sub_revocation", None, *[(c, w) for c in (None, 1, 2, 3) for w in ("T1", "T3")]
        )
        bound = key_time if f["bound"] == "T0" else g.T3
        payload = primary.hashed_form + sub.hashed_form
        hashed = [g.subpacket(g.SP_KEY_FLAGS, flags_value(f["sub_flags"]) or b"")]
        if f["sub_expiry"] is not None:
            hashed.append(g.sp_key_expires(expiry_time(f["sub_expiry"]) - sub.created))  # type: ignore[operator]
        if f["backsig"] != "missing":
            back_signer = g.BOB if f["backsig"] == "other" else sub
            back = g.standard_sign(
                back_signer,
                g.SIG_PRIMARY_BINDING,
                payload,
                created=bound,
                hashed=[g.sp_sig_expires(DAY)] if f["backsig"] == "expired" else [],
                corrupt=f["backsig"] == "corrupt",
            )
            hashed.append(g.subpacket(g.SP_EMBEDDED_SIG, back[2:]))
        parts.append(sub.subkey_packet())
        parts.append(
            g.standard_sign(primary, g.SIG_SUBKEY_BINDING, payload, created=bound, hashed=hashed)
        )
        if f["sub_revocation"] is not None:
            code, when = f["sub_revocation"]
            parts.append(
                revocation_sig(
                    primary, g.SIG_SUBKEY_REVOCATION, payload, code, {"T1": g.T1, "T3": g.T3}[when]
                )
            )
    cert = g.certificate(primary, *parts)

    # The data signature.
    f["mode"] = rng.choice(["binary", "text", "clear", "clear"])
    hashes = (
        ["SHA256", "SHA384", "SHA512"]
        if f["alg"] == "ecdsa" and signer is primary
        else ["SHA256", "SHA384", "SHA512", "SHA1", "MD5"]
    )
    f["hash"] = pick("hash", "SHA256", *hashes[1:])
    f["created"] = pick("created", "T2", "before_key", "future", "skew")
    created = {
        "T2": g.T2,
        "before_key": key_time - DAY,
        "future": g.AT + DAY,
        "skew": g.AT + 120,
    }[f["created"]]
    f["sig_expiry"] = pick("sig_expiry", None, "expired", "far")
    f["issuer"] = pick("issuer", "std", "fpr_only", "keyid_unhashed", "none")
    f["extra"] = pick(
        "extra",
        None,
        "unknown",
        "unknown_critical",
        "unknown_critical_unhashed",
        "notation",
        "notation_critical",
        "dup_created",
    )
    hashed = [g.sp_created(created)]
    unhashed: list[bytes] = []
    if f["sig_expiry"] == "expired":
        hashed.append(g.sp_sig_expires(DAY))
    elif f["sig_expiry"] == "far":
        hashed.append(g.sp_sig_expires(FAR - created))
    extra = f["extra"]
    if extra == "unknown":
        hashed.append(g.subpacket(g.SP_EXPERIMENTAL, b"x"))
    elif extra == "unknown_critical":
        hashed.append(g.subpacket(g.SP_EXPERIMENTAL, b"x", critical=True))
    elif extra == "unknown_critical_unhashed":
        unhashed.append(g.subpacket(g.SP_EXPERIMENTAL, b"x", critical=True))
    elif extra == "notation":
        hashed.append(g.sp_notation("diff@pgpsig.example.org", "v"))
    elif extra == "notation_critical":
        hashed.append(g.sp_notation("diff@pgpsig.example.org", "v", critical=True))
    elif extra == "dup_created":
        hashed.append(g.sp_created(created - 60))
    if f["issuer"] in ("std", "fpr_only"):
        hashed.append(g.sp_issuer_fpr(signer))
    if f["issuer"] in ("std", "keyid_unhashed"):
        unhashed.append(g.sp_issuer(signer))

    def sign(sig_type: int, payload: bytes) -> bytes:
        return g.sign(
            signer, sig_type, payload, hashed=hashed, unhashed=unhashed, hash_name=f["hash"]
        )

    if f["mode"] in ("text", "clear"):
        f["text"] = rng.choice(sorted(TEXTS))
    if f["mode"] == "binary":
        data = TEXTS["plain"].encode()
        return Case(index, f, cert, sign(g.SIG_BINARY, data), data)
    if f["mode"] == "text":
        data = TEXTS[f["text"]].encode()
        return Case(index, f, cert, sign(g.SIG_TEXT, g.crlf(data)), data)
    text = TEXTS[f["text"]]
    if not text.endswith("\n"):
        text += "\n"  # the frame's own line break; the signed text has no final one
    f["hash_header"] = pick("hash_header", "match", "two", "missing", "other_only")
    other = "SHA512" if f["hash"] != "SHA512" else "SHA256"
    headers = {
        "match": (f"Hash: {f['hash']}",),
        "two": (f"Hash: {other},{f['hash']}",),
        "missing": (),
        "other_only": (f"Hash: {other}",),
    }[f["hash_header"]]
    message = g.clearsigned(text, sign(g.SIG_TEXT, g.canonical_text(text)), headers=headers)
    return Case(index, f, cert, message.encode(), None)


# ----------------------------------------------------------------------------------------------
# Running both implementations.


def ours(case: Case) -> bool:
    """pgpsig's verdict, in process (default policy, --at)."""
    try:
        ring = Keyring()
        ring.add_all(read_certs(case.cert))
        if case.data is None:
            report = verify_clearsigned(case.signature, ring, policy=POLICY, now=AT)
        else:
            report = verify_detached(case.data, case.signature, ring, policy=POLICY, now=AT)
    except PgpsigError:
        return False
    return report.ok


def write_case(case: Case, folder: Path) -> tuple[Path, Path, Path | None]:
    cert = folder / "cert.pgp"
    cert.write_bytes(case.cert)
    sig = folder / ("message.asc" if case.data is None else "data.sig")
    sig.write_bytes(case.signature)
    data = None
    if case.data is not None:
        data = folder / "data.txt"
        data.write_bytes(case.data)
    return cert, sig, data


def theirs(sqop: str, case: Case) -> tuple[bool, str]:
    """sqop's verdict: exit 0 and at least one verification line."""
    with tempfile.TemporaryDirectory() as tmp:
        cert, sig, data = write_case(case, Path(tmp))
        if data is not None:
            cmd = [sqop, "verify", "--not-after", g.AT_ISO, str(sig), str(cert)]
            r = subprocess.run(
                cmd, input=data.read_bytes(), capture_output=True, timeout=60, check=False
            )
            report = r.stdout.decode(errors="replace")
        else:
            out = Path(tmp) / "verifications.txt"
            cmd = [
                sqop,
                "inline-verify",
                "--not-after",
                g.AT_ISO,
                "--verifications-out",
                str(out),
                str(cert),
            ]
            r = subprocess.run(
                cmd, input=sig.read_bytes(), capture_output=True, timeout=60, check=False
            )
            report = out.read_text(errors="replace") if out.exists() else ""
    accepted = r.returncode == 0 and any(len(line.split()) >= 3 for line in report.splitlines())
    return accepted, f"exit {r.returncode}: {r.stderr.decode(errors='replace').strip()[:200]}"


# ----------------------------------------------------------------------------------------------
# Known differences: (name, applies to the case, pgpsig accepts, reason). Each disagreement must
# be explained by a rule that applies and points the same way.


KNOWN: list[tuple[str, Callable[[dict[str, Any]], bool], bool, str]] = [
    (
        "clock-skew",
        lambda f: f["created"] == "skew",
        True,
        "created 2 minutes after --at: pgpsig allows 5 minutes of clock skew, sqop's --not-after "
        "none",
    ),
    (
        "sha1-self-signature-before-cutoff",
        lambda f: f["old_key"] and f["self_hash"] == "SHA1",
        True,
        "a SHA-1 self-signature made in 2022: pgpsig judges the cutoff (2023-02-01) at the "
        "self-signature's creation, Sequoia at the reference time",
    ),
    (
        "self-signature-after-data-signature",
        lambda f: f["selfsig_late"],
        True,
        "the only self-signature was made after the data signature: pgpsig takes it as in force "
        "from the key's creation (gpg does; README), Sequoia finds no binding at signing time",
    ),
    (
        "critical-unknown-unhashed",
        lambda f: f["extra"] == "unknown_critical_unhashed",
        False,
        "pgpsig honours a critical unknown subpacket in the unhashed area too; Sequoia ignores the "
        "unhashed area's critical bits",
    ),
    (
        "duplicate-creation-time",
        lambda f: f["extra"] == "dup_created",
        False,
        "two hashed creation times are ambiguous: pgpsig refuses, Sequoia takes the first",
    ),
    (
        "no-hash-header",
        lambda f: f.get("hash_header") == "missing" and f["hash"] != "MD5",
        True,
        "no Hash: header: Sequoia assumes MD5 (RFC 4880) and fails the digest; pgpsig uses the "
        "signature's own hash algorithm (the trailer commits to it)",
    ),
    (
        "revoked-only-user-id",
        lambda f: f["uid_revoked"],
        False,
        "the only user ID is revoked: pgpsig finds no binding for the key, Sequoia still uses the "
        "revoked user ID's self-signature",
    ),
    (
        "bare-cr-in-text",
        lambda f: f.get("text") == "bare_cr",
        True,
        "a CR not followed by LF inside a text line: pgpsig (like gpg and RFC 9580's 'line endings "
        "converted to CR LF') hashes it as data; Sequoia treats a lone CR as a line ending",
    ),
    (
        "primary-without-key-flags",
        lambda f: f["flags"] is None and f["signer"] == "primary",
        True,
        "no key-flags subpacket on the primary key's self-signature: pgpsig (like gpg) lets the "
        "primary sign (validity rule 5; keys older than key flags), Sequoia requires the Sign flag",
    ),
]


Verdicts = list[tuple[Case, bool, bool, str]]


@pytest.fixture(scope="module")
def cache() -> dict[str, Verdicts]:
    return {}


@pytest.fixture
def verdicts(oracle: Oracle, cache: dict[str, Verdicts]) -> Verdicts:
    """(case, pgpsig accepts, sqop accepts, what sqop said) for every case, computed once."""
    if "verdicts" not in cache:
        sqop = oracle("sqop")
        cases = [make_case(i) for i in range(N_CASES)]
        with ThreadPoolExecutor(4) as pool:
            sq = list(pool.map(lambda c: theirs(sqop, c), cases))
        cache["verdicts"] = [
            (c, ours(c), accepted, said) for c, (accepted, said) in zip(cases, sq, strict=True)
        ]
    return cache["verdicts"]


@pytest.mark.oracle
def test_random_variations_agree_with_sqop_or_are_explained(
    verdicts: Verdicts,
) -> None:
    unexplained = []
    explained: dict[str, int] = {name: 0 for name, *_ in KNOWN}
    for case, we, they, said in verdicts:
        if we == they:
            continue
        rules = [
            name
            for name, applies, we_accept, _ in KNOWN
            if applies(case.features) and we_accept == we
        ]
        if not rules:
            unexplained.append(
                (case.index, "pgpsig accepts" if we else "pgpsig rejects", said, case.features)
            )
        for name in rules:
            explained[name] += 1
    agree = sum(1 for _, we, they, _ in verdicts if we == they)
    good = sum(1 for _, we, _, _ in verdicts if we)
    print(
        f"\n{len(verdicts)} cases: {agree} agreements with sqop, {len(verdicts) - agree} "
        f"differences; pgpsig accepts {good}. Explained: {explained}"
    )
    assert not unexplained, "disagreements with sqop that no KNOWN rule explains:\n" + "\n".join(
        map(repr, unexplained)
    )
    if N_CASES == DEFAULT_CASES:
        rotten = [name for name, n in explained.items() if n == 0]
        assert not rotten, f"KNOWN rules that explain no disagreement any more: {rotten}"


@pytest.mark.oracle
def test_a_sample_gives_the_same_verdict_through_the_cli(
    verdicts: Verdicts, pgpsig: Run, tmp_path: Path
) -> None:
    for case, we, _, _ in verdicts[:CLI_SAMPLE]:
        folder = tmp_path / str(case.index)
        folder.mkdir()
        cert, sig, data = write_case(case, folder)
        if data is None:
            r = pgpsig("verify", sig, "--keyring", cert, "--at", g.AT_ISO)
        else:
            r = pgpsig("verify", data, "--signature", sig, "--keyring", cert, "--at", g.AT_ISO)
        assert (r.returncode == 0) == we, (case.index, case.features, r.stderr)


def test_the_generator_is_deterministic_and_varied() -> None:
    a, b = make_case(7), make_case(7)
    assert (a.cert, a.signature, a.data) == (b.cert, b.signature, b.data)
    seen = {json.dumps(make_case(i).features, sort_keys=True, default=str) for i in range(60)}
    assert len(seen) >= 40


# ----------------------------------------------------------------------------------------------
# (2) The attack corpus through sqop.

ATTACKS = json.loads((VECTORS / "attacks" / "expected.json").read_text(encoding="utf-8"))["verify"]
KNOWN_ATTACK_DIFFERENCES = {
    "cs-unescaped-begin-line-inside-text": "sqop reads an unescaped line starting with '-' as text",
    "cs-header-block-over-64k": "pgpsig's limit on the header block (64 KiB)",
    "sig-513-subpackets": "pgpsig's limit of 512 subpackets in one signature",
    "sig-513-signatures": "pgpsig's limit of 512 signatures in one block",
    "cs-no-hash-header": "sqop assumes MD5 without a Hash: header; pgpsig uses the signature's hash",
    "cs-good-and-bad-signature-one-block": "a bad signature is never hidden by a good one",
    "cs-second-block-unknown-signer": "sqop verifies the first clear-signed block only",
    "sig-two-hashed-creation-times": "two hashed creation times are ambiguous: refused",
    "sig-unhashed-critical-unknown": "pgpsig honours the critical bit in the unhashed area",
    "sig-hash-prefix-wrong": "pgpsig checks the 16-bit digest prefix, sqop ignores it",
    "sig-created-within-clock-skew": "5 minutes of clock skew past --at; sqop allows none",
    "cert-self-signature-after-data-signature": "gpg-compatible backdating of a re-issued self-signature",
    "cert-only-user-id-revoked": "a revoked user ID binds nothing",
    "cert-revoked-copy-beside-clean-copy": "copies of a certificate are merged; the revocation stands",
    "cert-rsa-public-exponent-over-64-bits": "pgpsig's policy caps RSA public exponents at 64 bits",
}


def sqop_on_attack(sqop: str, case: dict[str, Any]) -> bool:
    certs = [str(VECTORS / c) for c in case["cert"]]
    sig = VECTORS / case["signature"]
    need = (
        int(case["args"][case["args"].index("--min-signatures") + 1])
        if "--min-signatures" in case["args"]
        else 1
    )
    with tempfile.TemporaryDirectory() as tmp:
        if case["data"] is not None:
            cmd = [sqop, "verify", "--not-after", case["at"], str(sig), *certs]
            r = subprocess.run(
                cmd,
                input=(VECTORS / case["data"]).read_bytes(),
                capture_output=True,
                timeout=60,
                check=False,
            )
            report = r.stdout.decode(errors="replace")
        else:
            out = Path(tmp) / "v.txt"
            cmd = [
                sqop,
                "inline-verify",
                "--not-after",
                case["at"],
                "--verifications-out",
                str(out),
                *certs,
            ]
            r = subprocess.run(
                cmd, input=sig.read_bytes(), capture_output=True, timeout=60, check=False
            )
            report = out.read_text(errors="replace") if out.exists() else ""
    primaries = {line.split()[2] for line in report.splitlines() if len(line.split()) >= 3}
    return r.returncode == 0 and len(primaries) >= need


@pytest.mark.oracle
def test_attack_corpus_differences_with_sqop_are_exactly_the_known_ones(oracle: Oracle) -> None:
    sqop = oracle("sqop")
    assert set(KNOWN_ATTACK_DIFFERENCES) <= {c["name"] for c in ATTACKS}
    with ThreadPoolExecutor(4) as pool:
        accepted = list(pool.map(lambda c: sqop_on_attack(sqop, c), ATTACKS))
    differ = {
        c["name"] for c, acc in zip(ATTACKS, accepted, strict=True) if acc != (c["exit"] == 0)
    }
    assert differ == set(KNOWN_ATTACK_DIFFERENCES), (
        f"new differences: {sorted(differ - set(KNOWN_ATTACK_DIFFERENCES))}; "
        f"no longer different: {sorted(set(KNOWN_ATTACK_DIFFERENCES) - differ)}"
    )
    readme = (VECTORS / "README.md").read_text(encoding="utf-8")
    for name in KNOWN_ATTACK_DIFFERENCES:
        assert f"`{name}`" in readme.split("## Attack corpus", 1)[1], name
