"""The signer by name in ``pgpsig verify`` and ``pgpsig check``, and why a signature does not count.

Through the CLI (real processes), on certificates made with the vectors' writer
(``vectors/generate.py``): a line names the signer's fingerprint and, beside it, the user ID
that names its certificate, quoted (none for a certificate without user ID, nor for an unknown
signer); a user ID made to act on a terminal (control characters, ANSI escapes, newlines, a
bidirectional override) is printed escaped, on its one line; ``check`` says a revoked
certification's reason and message in its detail, ``verify`` and ``check`` a revoked key's. The
JSON carries ``user_id`` as written, right after ``primary``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import VECTORS

sys.path.insert(0, str(VECTORS))
import generate as g  # noqa: E402 - the vectors' OpenPGP writer
import generate_attacks as ga  # noqa: E402 - its sign.php manifests and clear-signing

Run = Callable[..., subprocess.CompletedProcess[bytes]]

ALICE, BOB, SUB = ga.fpr(g.ALICE), ga.fpr(g.BOB), ga.fpr(g.ALICE_SUB)
MADE = "made 2024-06-01T00:00:00Z, SHA256"
EVIL = "Eve\n[GNUPG:] GOODSIG 0 \x1b[32mTrusted\x1b[0m \u202egpj.exe"
EVIL_SHOWN = '"Eve\\n[GNUPG:] GOODSIG 0 \\x1b[32mTrusted\\x1b[0m \\u202egpj.exe"'
#: A control character other than LF, or a line that pretends to be a GnuPG status line.
RAW = re.compile(
    r"[\x00-\x09\x0b-\x1f\x7f\x80-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]|^\[GNUPG:\]", re.M
)


def write(d: Path, name: str, data: bytes | str) -> Path:
    p = d / name
    p.write_bytes(data.encode() if isinstance(data, str) else data)
    return p


def verify(pgpsig: Run, d: Path, *certs: bytes, sig: bytes | None = None) -> tuple[int, list[str]]:
    """``pgpsig verify`` of the vectors' message: exit code and stdout lines (checked raw-free)."""
    args: list[str | Path] = ["verify", write(d, "message.txt", g.MESSAGE_BYTES)]
    args += ["--signature", write(d, "message.sig", sig or g.data_sig(g.ALICE))]
    for i, cert in enumerate(certs):
        args += ["--keyring", write(d, f"cert{i}.pgp", cert)]
    r = pgpsig(*args, "--at", g.AT_ISO)
    out = r.stdout.decode()
    assert not RAW.search(out) and not RAW.search(r.stderr.decode()), out
    return r.returncode, out.splitlines()


def test_verify_names_the_signer_by_its_user_id(pgpsig: Run, tmp_path: Path) -> None:
    assert verify(pgpsig, tmp_path, g.alice_cert()) == (
        0,
        [f'good: signature by {ALICE} "Alice Vector <alice@example.org>", {MADE}', "OK"],
    )


def test_verify_names_a_subkey_signer_by_its_primary_and_user_id(
    pgpsig: Run, tmp_path: Path
) -> None:
    cert = g.alice_cert(g.subkey(g.ALICE, g.ALICE_SUB))
    code, lines = verify(pgpsig, tmp_path, cert, sig=g.data_sig(g.ALICE_SUB))
    assert code == 0
    assert lines[0] == (
        f'good: signature by {SUB} (primary {ALICE} "Alice Vector <alice@example.org>"), {MADE}'
    )


def test_verify_without_user_id_or_certificate_names_no_user_id(
    pgpsig: Run, tmp_path: Path
) -> None:
    direct = g.direct_key(g.ALICE, created=g.T0, hashed=[g.sp_key_flags(g.FLAG_SIGN)])
    code, lines = verify(pgpsig, tmp_path, g.certificate(g.ALICE, direct))
    assert (code, lines[0]) == (0, f"good: signature by {ALICE}, {MADE}")
    code, lines = verify(pgpsig, tmp_path, g.certificate(g.BOB, g.user_id(g.BOB, g.BOB_UID)))
    assert code == 1
    assert (
        lines[0] == f"unknown-key: signature by {ALICE}, {MADE}: no certificate for signer {ALICE}"
    )


def test_verify_escapes_a_user_id_made_to_act_on_a_terminal(pgpsig: Run, tmp_path: Path) -> None:
    code, lines = verify(pgpsig, tmp_path, g.certificate(g.ALICE, g.user_id(g.ALICE, EVIL)))
    assert (code, lines) == (0, [f"good: signature by {ALICE} {EVIL_SHOWN}, {MADE}", "OK"])


def test_verify_json_holds_the_user_id_as_written(pgpsig: Run, tmp_path: Path) -> None:
    cert = write(tmp_path, "cert.pgp", g.certificate(g.ALICE, g.user_id(g.ALICE, EVIL)))
    data = write(tmp_path, "message.txt", g.MESSAGE_BYTES)
    sig = write(tmp_path, "message.sig", g.data_sig(g.ALICE))
    r = pgpsig("verify", data, "--signature", sig, "--keyring", cert, "--at", g.AT_ISO, "--json")
    (s,) = json.loads(r.stdout)["signatures"]
    assert s["user_id"] == EVIL
    assert list(s)[:4] == ["status", "signer", "primary", "user_id"]
    assert r.stdout.isascii()  # every character JSON escapes is escaped


def test_verify_says_a_revoked_keys_reason_and_message(pgpsig: Run, tmp_path: Path) -> None:
    rev = g.key_revocation(g.ALICE, created=g.T1, reason=(g.REASON_COMPROMISED, EVIL))
    code, lines = verify(pgpsig, tmp_path, g.alice_with(rev))
    why = f"key {ALICE} is revoked (compromised, 2024-03-01T00:00:00+00:00): {EVIL_SHOWN}"
    assert code == 1
    assert lines[0] == (
        f'revoked: signature by {ALICE} "Alice Vector <alice@example.org>", {MADE}: {why}'
    )
    assert lines[1].endswith(f"(revoked: {why})")


# --------------------------------------------------------------------------------------------------
# check


def certified_bob(*after: bytes, uid: str = g.BOB_UID, before: tuple[bytes, ...] = ()) -> bytes:
    """Bob's certificate with ``uid``, certified by Alice (the root) at t0."""
    certification = g.standard_sign(
        g.ALICE, 0x10, g.BOB.hashed_form + g.uid_hashed_form(uid), created=g.T0
    )
    return g.certificate(g.BOB, *before, g.user_id(g.BOB, uid), certification, *after)


def check(pgpsig: Run, d: Path, bob: bytes, *extra: str) -> tuple[int, str]:
    """``pgpsig check`` of the sample module signed by Bob, Alice the root: exit code, stdout."""
    mod = d / "sample"
    for rel, data in ga.BASE_FILES.items():
        (mod / rel).parent.mkdir(parents=True, exist_ok=True)
        (mod / rel).write_bytes(data)
    write(
        mod, "module.sig", ga.signed(ga.manifest(ga.entries_of(ga.BASE_FILES), signer=g.BOB), g.BOB)
    )
    ring = [
        "--keyring",
        write(d, "alice.pgp", g.alice_cert()),
        "--keyring",
        write(d, "bob.pgp", bob),
    ]
    r = pgpsig("check", mod, *ring, "--trust-root", ALICE, "--at", g.AT_ISO, *extra)
    out = r.stdout.decode()
    assert not RAW.search(out) and not RAW.search(r.stderr.decode()), out
    return r.returncode, out


def head(out: str) -> str:
    """The module's line, after its first word, name and status."""
    line = out.splitlines()[1]
    return re.sub(r"^\S+ +sample +\d+  ", "", line)


def test_check_names_the_signer_by_its_user_id(pgpsig: Run, tmp_path: Path) -> None:
    code, out = check(pgpsig, tmp_path, certified_bob())
    assert code == 0
    assert head(out) == f'signed by {BOB} "Bob Vector <bob@example.org>" (trusted)'


def test_check_escapes_a_user_id_made_to_act_on_a_terminal(pgpsig: Run, tmp_path: Path) -> None:
    code, out = check(pgpsig, tmp_path, certified_bob(uid=EVIL))
    assert code == 0
    assert head(out) == f"signed by {BOB} {EVIL_SHOWN} (trusted)"
    assert len(out.splitlines()) == 3  # roots, the module, the summary: no line was added


def test_check_bounds_a_long_user_id(pgpsig: Run, tmp_path: Path) -> None:
    long = "Bob " + "x" * 500 + " <bob@example.org>"
    _, out = check(pgpsig, tmp_path, certified_bob(uid=long))
    assert head(out) == f'signed by {BOB} "{long[:120]}"... (trusted)'


def test_check_says_why_a_certification_was_revoked(pgpsig: Run, tmp_path: Path) -> None:
    revocation = g.standard_sign(
        g.ALICE,
        g.SIG_CERT_REVOCATION,
        g.BOB.hashed_form + g.uid_hashed_form(g.BOB_UID),
        created=g.T1,
        hashed=[g.sp_reason(g.REASON_COMPROMISED, "lost laptop\n\x1b[31m")],
    )
    code, out = check(pgpsig, tmp_path, certified_bob(revocation))
    why = (
        f'the certification of {BOB} ("Bob Vector <bob@example.org>") by {ALICE} is revoked'
        ' (compromised, 2024-03-01T00:00:00+00:00): "lost laptop\\n\\x1b[31m"'
    )
    assert code == 1
    assert head(out) == f'signed by {BOB} "Bob Vector <bob@example.org>" (untrusted)'
    assert f"      module.sig check failed! {why}" in out.splitlines()
    code, text = check(pgpsig, tmp_path, certified_bob(revocation), "--json")
    sig: dict[str, Any] = json.loads(text)["modules"][0]["signature"]
    assert (sig["status"], sig["reason"], sig["user_id"]) == ("untrusted", why, g.BOB_UID)


@pytest.mark.parametrize(
    ("reason", "said"),
    [
        (
            (g.REASON_COMPROMISED, "lost laptop"),
            '(compromised, 2024-09-01T00:00:00+00:00): "lost laptop"',
        ),
        (None, "(no reason given, 2024-09-01T00:00:00+00:00)"),
    ],
)
def test_check_says_why_a_signing_key_was_revoked(
    pgpsig: Run, tmp_path: Path, reason: tuple[int, str] | None, said: str
) -> None:
    rev = g.key_revocation(g.BOB, created=g.T3, reason=reason)
    code, out = check(pgpsig, tmp_path, certified_bob(before=(rev,)))
    assert code == 1
    assert head(out) == f'signed by {BOB} "Bob Vector <bob@example.org>" (revoked)'
    assert f"      module.sig check failed! key {BOB} is revoked {said}" in out.splitlines()
