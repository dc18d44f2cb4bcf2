"""Interoperability: signatures made by gpg verify in ``pgpsig verify``.

gpg makes its keys at test time in a temporary GNUPGHOME (session fixtures): Ed25519, RSA 2048,
3072 and 4096, and ECDSA NIST P-256, each a primary key that can sign. The main keys are made at
the real time, so their signatures are verified without ``--at``. The keys of the expiry and
revocation tests are made and used with ``--faked-system-time`` in the past and are judged with
``--at``.

What pgpsig must do with gpg's output:

* clear-signed files (``--clearsign --digest-algo``) verify, name gpg's fingerprint and digest, and
  ``--output`` writes the signed text the way the README says: LF line breaks, trailing spaces and
  tabs stripped, a final LF. That equals gpg's own output (``gpg --decrypt``, which strips trailing
  whitespace too, but keeps CRLF line breaks) with CRLF turned into LF. A text with and without a
  final line break gives the same frame (the frame owns the last line break), so both come out
  with one final LF;
* detached binary and text signatures, armored and binary, verify; one changed byte is "bad";
* several signatures in one file count by distinct keys, unknown keys do not count;
* tampered frames fail (exit 1 when the text changed, exit 2 when the armor is broken); text
  outside the frame is a warning, never output;
* every keyring form of the README loads;
* key expiry is judged at the signature's time; a hard revocation kills every signature, a soft one
  only those made after it.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from conftest import require_oracle

pytestmark = pytest.mark.oracle

Run = Callable[..., subprocess.CompletedProcess[bytes]]

#: Every key of the main matrix: label -> gpg's algorithm name for --quick-gen-key.
KEY_ALGOS = {
    "ed25519": "ed25519",
    "rsa2048": "rsa2048",
    "rsa3072": "rsa3072",
    "rsa4096": "rsa4096",
    "nistp256": "nistp256",
}
DIGESTS = ("SHA256", "SHA384", "SHA512")

#: The expiry and revocation keys live at this (faked) time; they are judged ten days later.
T0 = datetime(2025, 3, 1, tzinfo=timezone.utc)
JUDGED_AT = (T0 + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")


def faked(t: datetime) -> list[str]:
    return ["--faked-system-time", t.strftime("%Y%m%dT%H%M%S!")]


# --------------------------------------------------------------------------------------------------
# gpg, once per session


@dataclass(frozen=True)
class Cert:
    """A gpg key: its fingerprint and its public certificate exported armored and binary."""

    label: str
    fpr: str
    armored: Path
    binary: Path


@dataclass(frozen=True)
class Gpg:
    home: Path
    work: Path
    env: dict[str, str]

    def run(
        self, *args: str | Path, stdin: bytes | None = None, batch: bool = True
    ) -> subprocess.CompletedProcess[bytes]:
        mode = ["--batch"] if batch else ["--no-tty"]
        return subprocess.run(
            [
                require_oracle("gpg"),
                *mode,
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "",
                *map(str, args),
            ],
            input=stdin,
            capture_output=True,
            env=self.env,
            check=False,
            timeout=300,
        )

    def __call__(self, *args: str | Path, stdin: bytes | None = None, batch: bool = True) -> bytes:
        r = self.run(*args, stdin=stdin, batch=batch)
        assert r.returncode == 0, (args, r.stderr.decode(errors="replace"))
        return r.stdout

    def gen_key(self, label: str, algo: str, *extra: str) -> str:
        uid = f"{label} <{label}@example.org>"
        self(*extra, "--quick-gen-key", uid, algo, "sign", "never")
        out = self("--with-colons", "--list-keys", f"<{label}@example.org>").decode()
        fprs = [ln.split(":")[9] for ln in out.splitlines() if ln.startswith("fpr:")]
        assert len(fprs) == 1, out
        return fprs[0]

    def export(self, label: str, fpr: str) -> Cert:
        armored = self.work / f"{label}.asc"
        binary = self.work / f"{label}.gpg"
        armored.write_bytes(self("--armor", "--export", fpr))
        binary.write_bytes(self("--export", fpr))
        return Cert(label, fpr, armored, binary)

    def revocation(self, fpr: str, menu_reason: str, *extra: str) -> Path:
        """Make a key revocation (gpg's menu: 1 compromised, 2 superseded, 3 retired); not imported."""
        out = self.work / f"revocation-{fpr}.asc"
        answers = f"y\n{menu_reason}\nrevoked by test\n\ny\n".encode()
        self(
            *extra,
            "--yes",
            "--command-fd",
            "0",
            "--output",
            out,
            "--gen-revoke",
            fpr,
            stdin=answers,
            batch=False,  # gpg refuses --gen-revoke in batch mode
        )
        return out


@pytest.fixture(scope="session")
def gpg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gpg]:
    require_oracle("gpg")
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    work = tmp_path_factory.mktemp("gpg-work")
    env = {**os.environ, "GNUPGHOME": str(home), "TZ": "UTC", "LC_ALL": "C"}
    yield Gpg(home, work, env)
    gpgconf = shutil.which("gpgconf")
    if gpgconf is not None:  # stop the agent this home started
        subprocess.run(
            [gpgconf, "--kill", "gpg-agent"], env=env, capture_output=True, check=False, timeout=30
        )


@pytest.fixture(scope="session")
def keys(gpg: Gpg) -> dict[str, Cert]:
    """The main keys, made at the real time."""
    return {label: gpg.export(label, gpg.gen_key(label, algo)) for label, algo in KEY_ALGOS.items()}


# --------------------------------------------------------------------------------------------------
# Helpers


_counter = [0]


def fresh(gpg: Gpg, name: str, data: bytes = b"") -> Path:
    """A new file in the work folder (tests share the session's folder)."""
    _counter[0] += 1
    p = gpg.work / f"{_counter[0]:04d}-{name}"
    p.write_bytes(data)
    return p


def clearsign(gpg: Gpg, signers: list[str], text: bytes, *extra: str) -> Path:
    """Clear-sign ``text`` with the keys of these fingerprints."""
    src = fresh(gpg, "text.txt", text)
    out = src.with_suffix(".asc")
    users = [a for fpr in signers for a in ("--local-user", fpr)]
    gpg(*extra, *users, "--clearsign", "--output", out, src)
    return out


def detach_sign(gpg: Gpg, signers: list[str], data: Path, *extra: str) -> Path:
    out = fresh(gpg, "data.sig")
    out.unlink()
    users = [a for fpr in signers for a in ("--local-user", fpr)]
    gpg(*extra, *users, "--detach-sign", "--output", out, data)
    return out


def verify_json(pgpsig: Run, *args: str | Path) -> tuple[int, dict[str, Any], str]:
    r = pgpsig("verify", *args, "--json")
    return r.returncode, json.loads(r.stdout), r.stderr.decode(errors="replace")


def statuses(doc: dict[str, Any]) -> list[str]:
    return sorted(s["status"] for s in doc["signatures"])


def expected_output(text: bytes) -> bytes:
    """What the README says ``--output`` gets for a text gpg clear-signed.

    gpg's frame owns the last line break (it adds one when the text has none), so the signed lines
    are the text's lines without a final empty one; each is written with trailing spaces/tabs
    stripped and an LF (a CR before the LF is part of the line break).
    """
    body = text[:-1] if text.endswith(b"\n") else text
    return b"".join(ln.removesuffix(b"\r").rstrip(b" \t") + b"\n" for ln in body.split(b"\n"))


def flip_letter(data: bytes, start: int = 0) -> bytes:
    """``data`` with the case of the first ASCII letter at or after ``start`` flipped."""
    m = re.compile(rb"[A-Za-z]").search(data, start)
    assert m is not None
    i = m.start()
    return data[:i] + bytes([data[i] ^ 0x20]) + data[i + 1 :]


def one_line_error(stderr: bytes) -> str:
    err = stderr.decode(errors="replace")
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("pgpsig: "), err
    return err


# --------------------------------------------------------------------------------------------------
# 1. Clear-signed by every key and digest, over awkward texts

MANIFEST = b"""\
;################################################
;#        FreePBX Module Signature              #
;################################################
;# Do not alter the contents of this file!  If  #
;# this file is tampered with, the module will  #
;# fail validation and be marked as invalid!    #
;################################################

[config]
version=1
hash=sha256
signedwith=0BDE0BFA09946D732091E26E1588A7366BD35B34
signedby='sign.php'
repo='manual'
type=public
[hashes]
Backup.class.php = 2c6f5e7d0b8f1b7e2cbb0bfbf1f0e9c3a4b4e3a2f6f4d1c0b9a8f7e6d5c4b3a2
module.xml = 9d1e3c2b7a6f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b
i18n/de_DE/LC_MESSAGES/backup.po = 0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0
;# End
"""


def mixed_text(seed: int, size: int) -> bytes:
    """About ``size`` bytes of lines as in the benchmark's case (d): trailing spaces and tabs,
    CRLF, lines starting with '-' or 'From ', empty and long lines, UTF-8. Long enough to span
    several of the decoder's reads and slices, so lines fall across their boundaries."""
    rng = random.Random(seed)
    words = ["alpha", "beta", "=>", "caf\u00e9", "\u8a2d\u5b9a", "-x", "From", "$var", ";"]
    ends = ["\n", "\n", "\n", " \n", "\t\n", "  \t \n", "\r\n", " \r\n", "\t\r\n"]
    starts = ["", "", "", "", "-", "- ", "--", "From ", "-----BEGIN PGP SIGNATURE-----", "    "]
    out, n = [], 0
    while n < size:
        count = rng.randint(300, 1500) if rng.random() < 0.01 else rng.randint(0, 12)
        line = rng.choice(starts) + " ".join(rng.choice(words) for _ in range(count))
        data = (line + rng.choice(ends)).encode()
        out.append(data)
        n += len(data)
    return b"".join(out)


TEXTS: dict[str, bytes] = {
    "trailing-spaces": b"first line   \nsecond line \n   indented stays\nthird\n",
    "trailing-tabs": b"col1\tcol2\t\t\nnext\t \t\n\tleading tab stays\n",
    "crlf": b"line one\r\nline two\r\n\r\nline four\r\n",
    "mixed-crlf-lf": b"crlf line\r\nlf line\ncrlf with spaces  \r\nlf with tab\t\nend\r\n",
    "dash-lines": (
        b"-leading dash\n- dash space\n--double dash\n-----BEGIN PGP SIGNATURE-----\n"
        b"-----END PGP SIGNATURE-----\n- \n-\nplain\n"
    ),
    "from-lines": b"From here\nFrom: someone@example.org\n>From quoted\n From indented\n",
    "no-final-newline": b"one\ntwo\nthree without newline",
    "no-final-newline-trailing-space": b"one\nlast with space   ",
    "empty": b"",
    "only-newlines": b"\n\n\n",
    "non-utf8": b"\xff\xfe latin1 \xe9\n\x80\x81\x82 raw bytes \t\n\xc3\x28 invalid utf-8\n",
    "long-line": bytes(random.Random(1).choices(b"abcdefghijklmnopqrstuvwxyz0123456789", k=10240))
    + b"\n",
    "manifest": MANIFEST,
    "mixed-700k": mixed_text(7, 700_000),
}

CLEAR_CASES: list[Any] = [
    pytest.param(key, digest, text, id=f"{key}-{digest}-{text}")
    for key, digest in (("ed25519", "SHA512"), ("rsa2048", "SHA256"))
    for text in TEXTS
] + [
    pytest.param(key, digest, "manifest", id=f"{key}-{digest}-manifest")
    for key in KEY_ALGOS
    for digest in DIGESTS
    if (key, digest) not in (("ed25519", "SHA512"), ("rsa2048", "SHA256"))
]


@pytest.mark.parametrize(("key", "digest", "text"), CLEAR_CASES)
def test_clearsigned(
    gpg: Gpg, keys: dict[str, Cert], pgpsig: Run, key: str, digest: str, text: str
) -> None:
    cert = keys[key]
    data = TEXTS[text]
    signed = clearsign(gpg, [cert.fpr], data, "--digest-algo", digest)
    assert f"\nHash: {digest}\n".encode() in signed.read_bytes()
    out = fresh(gpg, "out.txt")
    out.unlink()

    code, doc, err = verify_json(pgpsig, signed, "--keyring", cert.armored, "--output", out)
    assert code == 0, (doc, err)
    assert doc["ok"] is True
    assert doc["warnings"] == []
    [sig] = doc["signatures"]
    assert sig["status"] == "good", sig
    assert sig["signer"] == cert.fpr and sig["primary"] == cert.fpr
    assert sig["hash_algorithm"] == digest
    assert sig["reason"] is None

    written = out.read_bytes()
    assert written == expected_output(data)
    # gpg's own output strips trailing whitespace too but keeps a CR before the LF.
    by_gpg = gpg("--decrypt", signed)
    assert written == by_gpg.replace(b"\r\n", b"\n")

    if text != "manifest":
        return
    # The human report says the same.
    r = pgpsig("verify", signed, "--keyring", cert.binary)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().splitlines()[-1] == "OK"
    assert f"good: signature by {cert.fpr}" in r.stdout.decode()


# --------------------------------------------------------------------------------------------------
# 2. Detached signatures, binary and text, armored and binary

DETACHED_DATA = (
    b"header line with spaces   \r\n"
    b"trailing tab\t\n"
    b"non-utf8 \xff\xfe \xe9 \x80\r\n"
    b"- dash line\n"
    b"From me\n"
    b"\r\n"
    b"\x00\x01 binary bytes \x7f\n"
    b"no final newline  "
)

DETACHED_CASES = [
    pytest.param(key, mode, armor, id=f"{key}-{mode}-{armor}")
    for key in KEY_ALGOS
    for mode in ("binary", "text")
    for armor in ("armored", "unarmored")
]


@pytest.mark.parametrize(("key", "mode", "armor"), DETACHED_CASES)
def test_detached(
    gpg: Gpg, keys: dict[str, Cert], pgpsig: Run, key: str, mode: str, armor: str
) -> None:
    cert = keys[key]
    data = fresh(gpg, "data.bin", DETACHED_DATA)
    extra = (["--textmode"] if mode == "text" else []) + (["--armor"] if armor == "armored" else [])
    sig = detach_sign(gpg, [cert.fpr], data, *extra)
    assert sig.read_bytes().startswith(b"-----BEGIN PGP SIGNATURE-----") == (armor == "armored")

    code, doc, err = verify_json(pgpsig, data, "--signature", sig, "--keyring", cert.armored)
    assert code == 0, (doc, err)
    [s] = doc["signatures"]
    assert (s["status"], s["signer"], s["primary"]) == ("good", cert.fpr, cert.fpr)
    assert doc["ok"] is True

    changed = fresh(gpg, "changed.bin", flip_letter(DETACHED_DATA, 30))
    assert gpg.run("--verify", sig, changed).returncode != 0  # gpg agrees it is bad
    code, doc, err = verify_json(pgpsig, changed, "--signature", sig, "--keyring", cert.binary)
    assert code == 1, (doc, err)
    assert doc["ok"] is False
    assert statuses(doc) == ["bad"]


def test_detached_text_keeps_trailing_whitespace(
    gpg: Gpg, keys: dict[str, Cert], pgpsig: Run
) -> None:
    """A text signature covers trailing whitespace (gpg 2.2 does not strip it), but not CRLF vs LF."""
    cert = keys["ed25519"]
    data = fresh(gpg, "data.txt", b"a  \r\nb\t\nc\n")
    sig = detach_sign(gpg, [cert.fpr], data, "--textmode")
    lf = fresh(gpg, "lf.txt", b"a  \nb\t\r\nc\r\n")
    assert gpg.run("--verify", sig, lf).returncode == 0
    code, doc, err = verify_json(pgpsig, lf, "--signature", sig, "--keyring", cert.armored)
    assert (code, statuses(doc)) == (0, ["good"]), (doc, err)
    stripped = fresh(gpg, "stripped.txt", b"a\r\nb\nc\n")
    assert gpg.run("--verify", sig, stripped).returncode != 0
    code, doc, err = verify_json(pgpsig, stripped, "--signature", sig, "--keyring", cert.armored)
    assert (code, statuses(doc)) == (1, ["bad"]), (doc, err)


#: Carriage returns that are not part of a CRLF. gpg 2.2's text filter strips every CR (and LF) at
#: the end of a line and then appends CRLF when the line had an LF; a CR elsewhere is data. Sequoia
#: differs in all of these (it rejects every one of gpg's signatures below).
BARE_CR: dict[str, tuple[bytes, bool]] = {
    "cr-inside-line": (b"a\rb\nc\n", True),
    "cr-cr-lf": (b"twice converted\r\r\nline\r\r\n", False),
    "final-cr": (b"last line ends in CR\r", False),
    "cr-after-final-lf": (b"line\n\r", False),
}


@pytest.mark.parametrize("case", list(BARE_CR))
def test_detached_text_bare_cr(
    gpg: Gpg, keys: dict[str, Cert], pgpsig: Run, oracle: Callable[[str], str], case: str
) -> None:
    """A CR that does not end a CRLF is data (README): where gpg strips such CRs, pgpsig and
    Sequoia (sqv) both refuse gpg's text signature; elsewhere all three agree it is good."""
    cert = keys["ed25519"]
    data = fresh(gpg, "data.txt", BARE_CR[case][0])
    sig = detach_sign(gpg, [cert.fpr], data, "--textmode")
    assert gpg.run("--verify", sig, data).returncode == 0
    code, doc, err = verify_json(pgpsig, data, "--signature", sig, "--keyring", cert.armored)
    sqv = subprocess.run(
        [oracle("sqv"), "--keyring", str(cert.binary), str(sig), str(data)],
        capture_output=True,
        check=False,
    )
    if BARE_CR[case][1]:
        assert (code, statuses(doc)) == (0, ["good"]), (doc, err)
    else:
        assert (code, statuses(doc)) == (1, ["bad"]), (doc, err)
        assert sqv.returncode != 0, "Sequoia agrees with pgpsig that this is not a good signature"


@pytest.fixture(scope="session")
def big_file(gpg: Gpg) -> Path:
    """20 MiB of text-like bytes: letters, non-ASCII bytes, spaces and tabs (some trailing), LF and
    CRLF line breaks, lines of up to about a thousand bytes (gpg refuses text lines over 19995)."""
    table = bytearray(random.Random(21).choices(b"abcdefghijklmnopqrstuvwxyzQ \t\xe9\xff", k=256))
    table[0:4] = b"\n\n\n\n"  # one byte in 64: a line break
    raw = random.Random(20).randbytes(20 * 1024 * 1024).translate(bytes(table))
    p = gpg.work / "big.txt"
    p.write_bytes(raw.replace(b"\nQ", b"\r\nQ"))
    return p


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["binary", "text"])
def test_detached_20mb(
    gpg: Gpg, keys: dict[str, Cert], pgpsig: Run, big_file: Path, mode: str
) -> None:
    cert = keys["ed25519"]
    sig = detach_sign(
        gpg, [cert.fpr], big_file, "--armor", *(["--textmode"] if mode == "text" else [])
    )
    code, doc, err = verify_json(pgpsig, big_file, "--signature", sig, "--keyring", cert.armored)
    assert (code, statuses(doc)) == (0, ["good"]), (doc, err)

    if mode == "binary":
        data = big_file.read_bytes()
        i = len(data) // 2
        changed = fresh(gpg, "big-changed.bin", data[:i] + bytes([data[i] ^ 1]) + data[i + 1 :])
        code, doc, err = verify_json(pgpsig, changed, "--signature", sig, "--keyring", cert.armored)
        assert (code, statuses(doc)) == (1, ["bad"]), (doc, err)


# --------------------------------------------------------------------------------------------------
# 3. Several signatures

TWO_SIGNERS = ("ed25519", "rsa2048")


@pytest.fixture(scope="session")
def both_keyring(gpg: Gpg, keys: dict[str, Cert]) -> Path:
    p = gpg.work / "both.asc"
    p.write_bytes(b"".join(keys[k].armored.read_bytes() for k in TWO_SIGNERS))
    return p


@pytest.fixture(scope="session")
def two_signed(gpg: Gpg, keys: dict[str, Cert]) -> dict[str, tuple[str | Path, ...]]:
    """A clear-signed file and a detached signature, each holding signatures by two keys."""
    signers = [keys[k].fpr for k in TWO_SIGNERS]
    clear = clearsign(gpg, signers, MANIFEST)
    data = fresh(gpg, "data.bin", DETACHED_DATA)
    return {
        "clearsigned": (clear,),
        "detached": (data, "--signature", detach_sign(gpg, signers, data, "--armor")),
    }


@pytest.mark.parametrize("form", ["clearsigned", "detached"])
def test_two_signatures(
    two_signed: dict[str, tuple[str | Path, ...]],
    keys: dict[str, Cert],
    both_keyring: Path,
    pgpsig: Run,
    form: str,
) -> None:
    args = two_signed[form]
    code, doc, err = verify_json(pgpsig, *args, "--keyring", both_keyring, "--min-signatures", "2")
    assert code == 0, (doc, err)
    assert statuses(doc) == ["good", "good"]
    assert sorted(s["signer"] for s in doc["signatures"]) == sorted(
        keys[k].fpr for k in TWO_SIGNERS
    )

    code, doc, err = verify_json(pgpsig, *args, "--keyring", both_keyring, "--min-signatures", "3")
    assert code == 1, (doc, err)
    assert doc["ok"] is False
    assert statuses(doc) == ["good", "good"]

    # Separate keyrings for each cert work the same.
    ring_args = [a for k in TWO_SIGNERS for a in ("--keyring", str(keys[k].binary))]
    code, doc, err = verify_json(pgpsig, *args, *ring_args, "--min-signatures", "2")
    assert (code, statuses(doc)) == (0, ["good", "good"]), (doc, err)


@pytest.mark.parametrize("form", ["clearsigned", "detached"])
def test_two_signatures_one_cert_known(
    two_signed: dict[str, tuple[str | Path, ...]], keys: dict[str, Cert], pgpsig: Run, form: str
) -> None:
    args = two_signed[form]
    known = keys[TWO_SIGNERS[0]]
    code, doc, err = verify_json(pgpsig, *args, "--keyring", known.armored, "--min-signatures", "1")
    assert code == 0, (doc, err)
    assert statuses(doc) == ["good", "unknown-key"]
    [good] = [s for s in doc["signatures"] if s["status"] == "good"]
    assert good["signer"] == known.fpr

    code, doc, err = verify_json(pgpsig, *args, "--keyring", known.armored, "--min-signatures", "2")
    assert code == 1, (doc, err)
    assert statuses(doc) == ["good", "unknown-key"]


# --------------------------------------------------------------------------------------------------
# 4. Tampering

TAMPER_TEXT = b"The quick brown fox\njumps over the lazy dog\nand signs it.\n"


@pytest.fixture(scope="session")
def tamper_signed(gpg: Gpg, keys: dict[str, Cert]) -> bytes:
    return clearsign(gpg, [keys["ed25519"].fpr], TAMPER_TEXT).read_bytes()


def _sig_lines(signed: bytes) -> tuple[list[bytes], int, int]:
    lines = signed.split(b"\n")
    begin = lines.index(b"-----BEGIN PGP SIGNATURE-----")
    end = lines.index(b"-----END PGP SIGNATURE-----")
    return lines, begin, end


def _word_changed(s: bytes) -> bytes:
    assert s.count(b"lazy") == 1
    return s.replace(b"lazy", b"busy")


def _line_inserted(s: bytes) -> bytes:
    return s.replace(b"\njumps over", b"\nan inserted line\njumps over", 1)


def _line_removed(s: bytes) -> bytes:
    return s.replace(b"jumps over the lazy dog\n", b"", 1)


def _armor_cut(s: bytes) -> bytes:
    lines, begin, _ = _sig_lines(s)
    return b"\n".join(lines[: begin + 2]) + b"\n" + lines[begin + 2][:20]


def _armor_line_dropped(s: bytes) -> bytes:
    lines, begin, _ = _sig_lines(s)
    assert lines[begin + 1] == b""  # no armor headers: the data starts two lines down
    return b"\n".join(lines[: begin + 2] + lines[begin + 3 :])


def _armor_no_end(s: bytes) -> bytes:
    lines, _, end = _sig_lines(s)
    return b"\n".join(lines[:end]) + b"\n"


TAMPER_FAILS: dict[str, tuple[Callable[[bytes], bytes], int]] = {
    "word-changed": (_word_changed, 1),
    "line-inserted": (_line_inserted, 1),
    "line-removed": (_line_removed, 1),
    "armor-truncated-mid-line": (_armor_cut, 2),
    "armor-line-dropped": (_armor_line_dropped, 2),
    "armor-end-line-missing": (_armor_no_end, 2),
}


@pytest.mark.parametrize("case", TAMPER_FAILS, ids=list(TAMPER_FAILS))
def test_tampered_clearsigned(
    gpg: Gpg, keys: dict[str, Cert], pgpsig: Run, tamper_signed: bytes, case: str
) -> None:
    change, want = TAMPER_FAILS[case]
    bad = fresh(gpg, "tampered.asc", change(tamper_signed))
    if want == 1:  # gpg rejects the changed text too (it accepts an armor without its END line)
        assert gpg.run("--verify", bad).returncode != 0
    out = fresh(gpg, "out.txt")
    out.unlink()
    r = pgpsig("verify", bad, "--keyring", keys["ed25519"].armored, "--json", "--output", out)
    assert r.returncode == want, (r.stdout, r.stderr)
    assert not out.exists()  # nothing is written when the verification fails
    if want == 1:
        doc = json.loads(r.stdout)
        assert doc["ok"] is False
        assert statuses(doc) == ["bad"]
    else:
        one_line_error(r.stderr)


@pytest.mark.parametrize("where", ["appended", "prepended"])
def test_text_outside_the_frame(
    gpg: Gpg, keys: dict[str, Cert], pgpsig: Run, tamper_signed: bytes, where: str
) -> None:
    extra = b"This text is NOT signed.\nNeither is this line.\n"
    content = tamper_signed + extra if where == "appended" else extra + tamper_signed
    f = fresh(gpg, "outside.asc", content)
    out = fresh(gpg, "out.txt")
    out.unlink()
    code, doc, err = verify_json(pgpsig, f, "--keyring", keys["ed25519"].armored, "--output", out)
    assert code == 0, (doc, err)
    assert statuses(doc) == ["good"]
    assert len(doc["warnings"]) == 1, doc["warnings"]
    assert ("after" if where == "appended" else "before") in doc["warnings"][0]
    assert out.read_bytes() == TAMPER_TEXT
    # gpg accepts it as well.
    assert gpg("--decrypt", f) == TAMPER_TEXT


# --------------------------------------------------------------------------------------------------
# 5. Keyring forms


@pytest.fixture(scope="session")
def keyring_forms(gpg: Gpg, keys: dict[str, Cert]) -> dict[str, Path]:
    d = gpg.work / "keyring-dir"
    d.mkdir()
    exts = [".asc", ".gpg", ".pgp", ".key", ".asc"]
    for (label, cert), ext in zip(keys.items(), exts, strict=True):
        src = cert.armored if ext == ".asc" else cert.binary
        shutil.copyfile(src, d / f"{label}{ext}")
    concat = gpg.work / "all-armored.asc"
    concat.write_bytes(b"".join(c.armored.read_bytes() for c in keys.values()))
    concat_bin = gpg.work / "all-binary.gpg"
    concat_bin.write_bytes(b"".join(c.binary.read_bytes() for c in keys.values()))
    return {"directory": d, "concatenated-armored": concat, "concatenated-binary": concat_bin}


@pytest.mark.parametrize(
    "form",
    ["armored-file", "binary-file", "directory", "concatenated-armored", "concatenated-binary"],
)
def test_keyring_forms(
    gpg: Gpg, keys: dict[str, Cert], keyring_forms: dict[str, Path], pgpsig: Run, form: str
) -> None:
    cert = keys["nistp256"]  # in the middle of the concatenated files
    ring = {"armored-file": cert.armored, "binary-file": cert.binary}.get(form) or keyring_forms[
        form
    ]
    signed = clearsign(gpg, [cert.fpr], MANIFEST)
    code, doc, err = verify_json(pgpsig, signed, "--keyring", ring)
    assert code == 0, (doc, err)
    [s] = doc["signatures"]
    assert (s["status"], s["signer"]) == ("good", cert.fpr)


# --------------------------------------------------------------------------------------------------
# 6. Expiry and revocation (faked time)


@dataclass(frozen=True)
class Lifecycle:
    cert: Cert
    files: dict[str, Path]


@pytest.fixture(scope="session")
def expiring(gpg: Gpg) -> Lifecycle:
    """A key made at T0 whose expiry (set at T0+1h) is T0+25h.

    gpg refuses to sign with an expired key, so the late signature (T0+3d) is made first, before
    the key has an expiry; the self-signature with the expiry then supersedes the original one.
    """
    fpr = gpg.gen_key("expiring", "ed25519", *faked(T0))
    late = clearsign(gpg, [fpr], MANIFEST, *faked(T0 + timedelta(days=3)))
    gpg(*faked(T0 + timedelta(hours=1)), "--quick-set-expire", fpr, "1d")
    early = clearsign(gpg, [fpr], MANIFEST, *faked(T0 + timedelta(hours=2)))
    return Lifecycle(gpg.export("expiring", fpr), {"early": early, "late": late})


def test_expired_key_signature_before_expiry(expiring: Lifecycle, pgpsig: Run) -> None:
    args = ("--keyring", expiring.cert.armored)
    code, doc, err = verify_json(pgpsig, expiring.files["early"], *args, "--at", JUDGED_AT)
    assert code == 0, (doc, err)
    [s] = doc["signatures"]
    assert (s["status"], s["signer"]) == ("good", expiring.cert.fpr)
    assert s["created"] == (T0 + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    # And as of now, long after the expiry.
    code, doc, err = verify_json(pgpsig, expiring.files["early"], *args)
    assert (code, statuses(doc)) == (0, ["good"]), (doc, err)


def test_expired_key_signature_after_expiry(expiring: Lifecycle, pgpsig: Run) -> None:
    args = ("--keyring", expiring.cert.armored, "--at", JUDGED_AT)
    code, doc, err = verify_json(pgpsig, expiring.files["late"], *args)
    assert code == 1, (doc, err)
    assert statuses(doc) == ["expired"]


@pytest.fixture(scope="session")
def revoked(gpg: Gpg) -> dict[str, Lifecycle]:
    """Keys made at T0 that signed at T0+1h and were revoked at T0+2h.

    "hard" is revoked as compromised. "soft" is revoked as superseded, and also signed at T0+3h,
    after the revocation was made but before it was imported (gpg will not sign with a revoked key).
    """
    out = {}
    for kind, menu in (("hard", "1"), ("soft", "2")):
        label = f"revoked-{kind}"
        fpr = gpg.gen_key(label, "ed25519", *faked(T0))
        before = clearsign(gpg, [fpr], MANIFEST, *faked(T0 + timedelta(hours=1)))
        rev = gpg.revocation(fpr, menu, *faked(T0 + timedelta(hours=2)))
        after = clearsign(gpg, [fpr], MANIFEST, *faked(T0 + timedelta(hours=3)))
        gpg("--import", rev)
        out[kind] = Lifecycle(gpg.export(label, fpr), {"before": before, "after": after})
    return out


@pytest.mark.parametrize(
    ("kind", "which", "want"),
    [
        pytest.param("hard", "before", "revoked", id="compromised-signature-before"),
        pytest.param("hard", "after", "revoked", id="compromised-signature-after"),
        pytest.param("soft", "before", "good", id="superseded-signature-before"),
        pytest.param("soft", "after", "revoked", id="superseded-signature-after"),
    ],
)
def test_revoked_key(
    revoked: dict[str, Lifecycle], pgpsig: Run, kind: str, which: str, want: str
) -> None:
    lc = revoked[kind]
    for at in (["--at", JUDGED_AT], []):
        code, doc, err = verify_json(pgpsig, lc.files[which], "--keyring", lc.cert.armored, *at)
        assert code == (0 if want == "good" else 1), (at, doc, err)
        [s] = doc["signatures"]
        assert (s["status"], s["signer"]) == (want, lc.cert.fpr), (at, s)
