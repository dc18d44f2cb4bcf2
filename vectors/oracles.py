#!/usr/bin/env python3
"""What gpg, sqv and sqop say about the vectors of issue #12, recorded beside pgpsig's expected answer.

Usage::

    python vectors/oracles.py --table     # print the tables of vectors/README.md's "Issue #12"
                                          # section, from the verdicts recorded below (no oracle run)
    python vectors/oracles.py --measure   # run gpg, sqv and sqop now and print the same tables from
                                          # what they said; exit 1 when that differs from the record

What it owns: the recorded verdicts (``VERIFY`` and ``CHECK`` below), how each oracle is run and
how its output becomes a verdict, and the Markdown tables. pgpsig's own expected answers come from
``expected.json`` and ``attacks/expected.json``; nothing here imports pgpsig.

How the oracles run (``AT`` is the rows' ``--at``, 2025-06-01T00:00:00Z):

* verify rows (detached): ``sqv --not-after AT --keyring CERT... SIG DATA`` (accept: exit 0);
  ``sqop verify --not-after AT SIG CERT... < DATA`` (accept: exit 0 and a verification line); gpg
  in a fresh GNUPGHOME: ``gpg --batch --import CERT...`` (in the row's order), then
  ``gpg --batch --status-fd 1 --faked-system-time 20250601T000000! --verify SIG DATA``. gpg's
  verdict is its status keywords: accept is GOODSIG without BADSIG, ERRSIG, EXPSIG, EXPKEYSIG or
  REVKEYSIG (gpg exits 0 for expired and revoked keys, so its exit code does not count).
* check rows (trust): gpg in a fresh GNUPGHOME imports the case's keyrings, then verifies the
  case's module.sig with ``--trust-model pgp --trusted-key ROOT_KEY_ID`` (the long key ID of each
  ``--trust-root``) at the faked time; the verdict is the signature keyword and the TRUST_* status
  line (TRUST_FULLY or TRUST_ULTIMATE: trusted). sqv has no trust model and reads detached
  signatures only: it checks the module.sig's signature over its canonical text (the clear-signed
  frame split into a text file and a signature file) against every keyring of the case.

The record was measured with gpg 2.2.40, sqv 1.1.0 and sqop 0.27.3 (sequoia-openpgp 1.12.0) on
Debian bookworm; ``tests/corpus/test_oracles.py`` re-measures it when the oracles are installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
VERSIONS = {"gpg": "gpg 2.2.40", "sqv": "sqv 1.1.0", "sqop": "sqop 0.27.3"}
FAKED_TIME = "20250601T000000!"  # --faked-system-time of the rows' --at; "!" freezes the clock
#: gpg status keywords that make a signature not good, in the order a verdict names them.
GPG_REJECT = ("BADSIG", "ERRSIG", "EXPSIG", "EXPKEYSIG", "REVKEYSIG")
GPG_TRUSTED = ("TRUST_FULLY", "TRUST_ULTIMATE")

# ---------------------------------------------------------------------------------------------
# The record.

#: vector -> (gpg, sqv, sqop, why an oracle differs from pgpsig's expected answer, or "").
VerifyRecord = tuple[str, str, str, str]
#: check case -> (gpg with --trusted-key, gpg with ownertrust, sqv, why gpg's trust differs, or "").
CheckRecord = tuple[str, str, str, str]

_NO_CERT = (
    "(sqv and sqop reject for another reason: a keyring file without a certificate is an error)"
)
_NOW = "gpg judges key expiry at the current (faked) time, not at the signature's creation time"

VERIFY: dict[str, VerifyRecord] = {
    "uid-expiry-t1-newer-direct-key-without-expiry": ("EXPKEYSIG", "reject", "reject", ""),
    "direct-key-expiry-t1-newer-uid-without-expiry": ("EXPKEYSIG", "reject", "reject", ""),
    "direct-key-expiry-t3-uid-without-expiry": ("EXPKEYSIG", "accept", "accept", _NOW),
    "primary-uid-expiry-t1-other-uid-newer-without-expiry": ("EXPKEYSIG", "reject", "reject", ""),
    "no-primary-uid-one-uid-expiry-t1": (
        "EXPKEYSIG",
        "accept",
        "accept",
        "Sequoia reads the key expiry of one binding, the primary user ID's; none being flagged, "
        "it takes the newest-bound user ID, which states no expiry",
    ),
    "uid-expiry-t1-extended-by-newer-self-sig": ("GOODSIG", "accept", "accept", ""),
    "key-expiry-subpacket-3-octets": (
        "GOODSIG",
        "reject",
        "reject",
        "gpg warns 'subpacket of type 9 too short' and uses the self-signature without an expiry",
    ),
    "key-expiry-subpacket-3-octets-critical": (
        "GOODSIG",
        "reject",
        "reject",
        "gpg warns 'subpacket of type 9 too short' and uses the self-signature without an expiry",
    ),
    "key-expiry-subpacket-twice": ("EXPKEYSIG", "reject", "reject", ""),
    "primary-uid-certify-only-newer-uid-signs": (
        "GOODSIG",
        "reject",
        "reject",
        "gpg does not check the signing key's flags when it verifies",
    ),
    "sig-expiry-subpacket-3-octets": (
        "GOODSIG",
        "reject",
        "reject",
        "gpg skips the signature-expiration subpacket of the wrong length",
    ),
    "sig-expiry-subpacket-3-octets-critical": (
        "GOODSIG",
        "reject",
        "reject",
        "gpg skips the signature-expiration subpacket of the wrong length, critical or not",
    ),
    "revoked-hard-compromised-after-at-sig-t2": ("REVKEYSIG", "reject", "reject", ""),
    "revoked-soft-retired-after-at-sig-t2": (
        "REVKEYSIG",
        "accept",
        "accept",
        "gpg calls the key revoked whatever the revocation's date and reason",
    ),
    "revoked-by-designated-revoker-key-id-only": (
        "REVKEYSIG",
        "accept",
        "accept",
        "Sequoia does not act on designated-revoker revocations (RevocationStatus::CouldBe), as "
        "for `revoked-by-designated-revoker`",
    ),
    "revocation-after-unknown-algorithm-subkey": ("REVKEYSIG", "reject", "reject", ""),
    "revocation-after-v5-subkey": (
        "ERRSIG",
        "reject",
        "reject",
        "(gpg rejects for another reason: it refuses the whole certificate, 'Unknown version in "
        "packet', so the signer is unknown)",
    ),
    "revocation-certificate-armored-key-block": ("REVKEYSIG", "reject", "reject", _NO_CERT),
    "revocation-certificate-armored-signature": (
        "GOODSIG",
        "reject",
        "reject",
        "gpg --import reads no PGP SIGNATURE armor ('no valid OpenPGP data found'): the "
        "revocation is never applied " + _NO_CERT,
    ),
    "revocation-certificate-binary": ("REVKEYSIG", "reject", "reject", _NO_CERT),
    "revocation-certificate-gpg-colon-escaped": (
        "GOODSIG",
        "reject",
        "reject",
        "gpg does not read the colon-escaped armor (the colon is there to stop an import); "
        "pgpsig applies it " + _NO_CERT,
    ),
    "subkey-revocation-under-user-id": ("REVKEYSIG", "reject", "reject", ""),
}

_TRUSTED_KEY = (
    "gpg's --trusted-key gives full trust through an expired or revoked root; an ultimate "
    "ownertrust does not"
)

CHECK: dict[str, CheckRecord] = {
    "check-signer-certified-by-root": (
        "GOODSIG, TRUST_FULLY",
        "GOODSIG, TRUST_FULLY",
        "accept",
        "(an existing case: the calibration of both ways of trusting the root)",
    ),
    "check-subkey-copy-of-root-signs": (
        "GOODSIG, TRUST_ULTIMATE",
        "GOODSIG, TRUST_ULTIMATE",
        "accept",
        "gpg resolves the root's key ID (and fingerprint) through Mallory's subkey to Mallory's "
        "primary key and calls Mallory's signature ultimately trusted: the attack works on gpg",
    ),
    "check-subkey-copy-of-root-certifies-signer": (
        "GOODSIG, TRUST_UNDEFINED",
        "GOODSIG, TRUST_UNDEFINED",
        "accept",
        "(gpg makes Mallory ultimately trusted, as above, but does not extend it to the keys "
        "Mallory certified)",
    ),
    "check-root-expired": (
        "GOODSIG, TRUST_FULLY",
        "GOODSIG, TRUST_UNDEFINED",
        "accept",
        _TRUSTED_KEY,
    ),
    "check-root-revoked-hard": (
        "GOODSIG, TRUST_FULLY",
        "GOODSIG, TRUST_UNDEFINED",
        "accept",
        _TRUSTED_KEY,
    ),
    "check-root-revoked-soft": (
        "GOODSIG, TRUST_FULLY",
        "GOODSIG, TRUST_UNDEFINED",
        "accept",
        _TRUSTED_KEY,
    ),
    "check-certification-revocation-in-direct-key-area": (
        "GOODSIG, TRUST_UNDEFINED",
        "GOODSIG, TRUST_UNDEFINED",
        "accept",
        "",
    ),
    "check-certification-critical-unknown-subpacket": (
        "GOODSIG, TRUST_UNDEFINED",
        "GOODSIG, TRUST_UNDEFINED",
        "accept",
        "",
    ),
}

# ---------------------------------------------------------------------------------------------
# Running the oracles.


def _run(
    cmd: Sequence[str], *, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> Any:
    return subprocess.run(
        list(cmd), input=stdin, capture_output=True, timeout=120, check=False, env=env
    )


def _gpg(home: Path, *args: str | Path, stdin: bytes | None = None) -> Any:
    env = {**os.environ, "GNUPGHOME": str(home)}
    return _run(["gpg", "--batch", "--no-tty", *map(str, args)], stdin=stdin, env=env)


def gpg_keywords(status: str) -> list[str]:
    """The status keywords of gpg's --status-fd output, in order."""
    return [
        line.split()[1]
        for line in status.splitlines()
        if line.startswith("[GNUPG:] ") and len(line.split()) > 1
    ]


def gpg_signature_verdict(keywords: Sequence[str]) -> str:
    """``GOODSIG`` when gpg calls the signature good and nothing else, else what rejects it."""
    bad = [k for k in GPG_REJECT if k in keywords]
    if bad:
        return "+".join(bad)
    return "GOODSIG" if "GOODSIG" in keywords else "no signature status"


def gpg_verify(
    certs: Sequence[Path], sig: Path, data: Path | None, roots: Sequence[str] = (), how: str = ""
) -> str:
    """gpg's verdict on a signature after importing ``certs`` into a fresh home. With ``roots``
    (fingerprints), the verdict also names the TRUST_* line of the pgp trust model, the roots made
    ultimately trusted ``how``: ``trusted-key`` (``--trusted-key`` with each long key ID) or
    ``ownertrust`` (``--import-ownertrust`` of ``FPR:6:``, as gpg records a key of one's own)."""
    with tempfile.TemporaryDirectory(prefix="pgpsig-oracle-") as tmp:
        home = Path(tmp)
        _gpg(home, "--faked-system-time", FAKED_TIME, "--import", *certs)
        args: list[str | Path] = ["--status-fd", "1", "--faked-system-time", FAKED_TIME]
        if roots:
            args += ["--trust-model", "pgp"]
        if how == "trusted-key":
            for root in roots:
                args += ["--trusted-key", root[-16:]]
        elif how == "ownertrust":
            trust = "".join(f"{root}:6:\n" for root in roots).encode()
            _gpg(home, "--import-ownertrust", stdin=trust)
        r = _gpg(home, *args, "--verify", sig, *([data] if data else []))
    keywords = gpg_keywords(r.stdout.decode(errors="replace"))
    verdict = gpg_signature_verdict(keywords)
    if not roots:
        return verdict
    trust = [k for k in keywords if k.startswith("TRUST_")]
    return f"{verdict}, {'+'.join(trust) or 'no TRUST line'}"


def sqv_verify(certs: Sequence[Path], sig: Path, data: Path, at: str) -> str:
    cmd = ["sqv", "--not-after", at]
    for cert in certs:
        cmd += ["--keyring", str(cert)]
    r = _run([*cmd, str(sig), str(data)])
    return "accept" if r.returncode == 0 else "reject"


def sqop_verify(certs: Sequence[Path], sig: Path, data: Path, at: str) -> str:
    r = _run(
        ["sqop", "verify", "--not-after", at, str(sig), *map(str, certs)], stdin=data.read_bytes()
    )
    lines = [ln for ln in r.stdout.decode(errors="replace").splitlines() if len(ln.split()) >= 3]
    return "accept" if r.returncode == 0 and lines else "reject"


def split_clearsigned(message: bytes) -> tuple[bytes, bytes]:
    """The canonical signed text (CR LF, no trailing blanks, no final line break) and the armored
    signature of a clear-signed message, so that a detached-only verifier can check it."""
    lines = message.decode().split("\n")
    start = [ln.rstrip("\r") for ln in lines].index("") + 1  # after BEGIN and the Hash: headers
    end = [ln.rstrip("\r") for ln in lines].index("-----BEGIN PGP SIGNATURE-----")
    # The line break before the signature armor belongs to the frame, not to the text.
    text = [ln[2:] if ln.startswith("- ") else ln for ln in lines[start:end]]
    canonical = "\r\n".join(ln.rstrip(" \t\r") for ln in text)
    return canonical.encode(), "\n".join(lines[end:]).encode()


# ---------------------------------------------------------------------------------------------
# The rows.


def expected_rows() -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    verify = json.loads((HERE / "expected.json").read_text(encoding="utf-8"))
    attacks = json.loads((HERE / "attacks" / "expected.json").read_text(encoding="utf-8"))
    return {r["name"]: r for r in verify}, {c["name"]: c for c in attacks["check"]}


def measure_verify(row: dict[str, Any]) -> tuple[str, str, str]:
    certs = [HERE / c for c in row["cert"]]
    sig, data = HERE / row["signature"], HERE / row["data"]
    return (
        gpg_verify(certs, sig, data),
        sqv_verify(certs, sig, data, row["at"]),
        sqop_verify(certs, sig, data, row["at"]),
    )


def measure_check(case: dict[str, Any]) -> tuple[str, str, str]:
    """gpg with --trusted-key, gpg with ownertrust, and sqv on the module.sig's signature alone."""
    certs = [HERE / k for k in case["keyring"]]
    (module_sig,) = [HERE / op["copy"] for op in case["tree"] if op.get("file") == "module.sig"]
    roots = case["roots"]
    with tempfile.TemporaryDirectory(prefix="pgpsig-oracle-") as tmp:
        text, sig = split_clearsigned(module_sig.read_bytes())
        (Path(tmp) / "module.txt").write_bytes(text)
        (Path(tmp) / "module.sig.asc").write_bytes(sig)
        sqv = sqv_verify(certs, Path(tmp) / "module.sig.asc", Path(tmp) / "module.txt", case["at"])
    return (
        gpg_verify(certs, module_sig, None, roots, "trusted-key"),
        gpg_verify(certs, module_sig, None, roots, "ownertrust"),
        sqv,
    )


# ---------------------------------------------------------------------------------------------
# Verdicts against pgpsig's expected answers.


def verify_differs(row: dict[str, Any], record: VerifyRecord) -> bool:
    """Whether any oracle's accept/reject differs from the row's expected exit code."""
    gpg, sqv, sqop, _ = record
    ours = row["exit"] == 0
    return (gpg == "GOODSIG") != ours or (sqv == "accept") != ours or (sqop == "accept") != ours


def gpg_trusts(verdict: str) -> bool:
    signature, _, trust = verdict.partition(", ")
    return signature == "GOODSIG" and any(t in trust.split("+") for t in GPG_TRUSTED)


def check_differs(case: dict[str, Any], record: CheckRecord) -> bool:
    """Whether gpg's trust verdict (either way of trusting the root) differs from ours; sqv has
    no trust model, so it is never compared."""
    ours = case["status"] == 129
    return gpg_trusts(record[0]) != ours or gpg_trusts(record[1]) != ours


def table(verify: dict[str, VerifyRecord], check: dict[str, CheckRecord]) -> str:
    """The two Markdown tables of vectors/README.md's issue #12 section."""
    rows_v, rows_c = expected_rows()
    g, v, s = VERSIONS["gpg"], VERSIONS["sqv"], VERSIONS["sqop"]
    out = [
        f"| vector | ours (exit) | {g} | {v} | {s} | why an oracle differs |",
        "|---|---|---|---|---|---|",
    ]
    for name, (gpg, sqv, sqop, why) in verify.items():
        gpg_cell = f"{'accept' if gpg == 'GOODSIG' else 'reject'} ({gpg})"
        out.append(f"| `{name}` | {rows_v[name]['exit']} | {gpg_cell} | {sqv} | {sqop} | {why} |")
    out += [
        "",
        f"| case | ours (status, exit) | {g}, `--trusted-key` | {g}, ownertrust "
        f"| {v} (signature only) | why gpg's trust differs |",
        "|---|---|---|---|---|---|",
    ]
    for name, (trusted_key, ownertrust, sqv, why) in check.items():
        case = rows_c[name]
        ours = "error" if case["status"] is None else case["status"]
        out.append(
            f"| `{name}` | {ours}, {case['exit']} | {trusted_key} | {ownertrust} | {sqv} | {why} |"
        )
    return "\n".join(out) + "\n"


def measure() -> tuple[dict[str, VerifyRecord], dict[str, CheckRecord]]:
    """The recorded rows as the installed oracles answer now (the recorded reasons kept)."""
    rows_v, rows_c = expected_rows()
    verify = {n: (*measure_verify(rows_v[n]), why) for n, (*_, why) in VERIFY.items()}
    check = {n: (*measure_check(rows_c[n]), why) for n, (*_, why) in CHECK.items()}
    return verify, check


def main(argv: Sequence[str]) -> int:
    if argv == ["--table"]:
        sys.stdout.write(table(VERIFY, CHECK))
        return 0
    if argv == ["--measure"]:
        missing = [tool for tool in VERSIONS if shutil.which(tool) is None]
        if missing:
            sys.stderr.write(f"not installed: {', '.join(missing)}\n")
            return 2
        verify, check = measure()
        sys.stdout.write(table(verify, check))
        return 0 if (verify, check) == (VERIFY, CHECK) else 1
    sys.stderr.write(__doc__ or "")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
