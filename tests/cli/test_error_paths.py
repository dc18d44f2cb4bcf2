"""Every error path a newcomer met (issue list of "Why"), run as the real program.

Each one: exit 2, exactly one line on stderr that says what is wrong (``pgpsig: ...``, never an
internal error or a traceback), nothing else on stdout; and, for a command that has ``--json``,
the same failure with ``--json`` prints one error document on stdout, valid under the shipped
schema, whose message is that line.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from tests.conftest import run_pgpsig
from tests.jsonschemas import assert_valid

from pgpsig.keys.generate import generate_key

EX = Path(__file__).resolve().parents[2] / "examples"

#: (argv with {placeholders}, the message on stderr after "pgpsig: " (" … " stands for what
#: depends on how the program was run), the kind with --json or
#: None for a command without --json, the schema of the command's --json document)
CASES = [
    (
        ["sign", "{m}", "--key", "{key}", "--hash", "md5"],
        "--hash md5: use sha256, sha384 or sha512",
        "usage",
        "sign",
    ),
    (
        ["sign", "{m}", "--key", "{protected}", "--passphrase-env", "PGPSIG_TEST_UNSET"],
        "is protected; a passphrase is needed: give it with --passphrase-file FILE, or in the"
        " environment variable PGPSIG_TEST_UNSET (not set; --passphrase-env names another), or"
        " run on a terminal to be asked",
        "input",
        "sign",
    ),
    (
        ["check", "{m}", "--keyring", "{dev}", "--trust-root", "{tmp}/nosuch.asc"],
        "--trust-root {tmp}/nosuch.asc: no such file (a trust root is a certificate file,"
        " a fingerprint or a key ID)",
        "input",
        "check",
    ),
    (
        ["check", "{tmp}/nosuch", "--keyring", "{dev}", "--trust-root", "{master}"],
        "{tmp}/nosuch: no such directory",
        "input",
        "check",
    ),
    (
        ["check", "{dev}", "--keyring", "{dev}", "--trust-root", "{master}"],
        "{dev} is a file, not a directory",
        "input",
        "check",
    ),
    (["verify", "{m}", "--keyring", "{dev}"], "{m} is a directory, not a file", "input", "verify"),
    (
        ["verify", "{hello}", "--keyring", "{tmp}/empty.asc"],
        "{tmp}/empty.asc: no certificate or revocation found",
        "format",
        "verify",
    ),
    (
        ["verify", "{hello}", "--keyring", "{tmp}/nosuch.asc"],
        "keyring {tmp}/nosuch.asc does not exist",
        "input",
        "verify",
    ),
    (
        ["key", "list", "--keyring", "{tmp}/empty.asc"],
        "{tmp}/empty.asc: no certificate or revocation found",
        "format",
        "key-list",
    ),
    (
        ["key", "generate", "--uid", "A <a@example.org>", "--out", "{tmp}/a.key", "--expires", "5"],
        "expiry '5' needs a unit: 5d, 5w, 5m or 5y",
        "usage",
        None,
    ),
    (
        ["key", "certify"],
        "Missing argument 'CERT' (' … pgpsig key certify -h' shows the usage)",
        None,
        None,
    ),
    (
        ["check", "{m}", "--no-such-option"],
        "No such option: --no-such-option (' … pgpsig check -h' shows the usage)",
        "usage",
        "check",
    ),
    (
        ["key", "certify", "{dev}", "--with", "{tmp}/nosuch.key"],
        "cannot read {tmp}/nosuch.key: No such file or directory",
        None,
        None,
    ),
]


@pytest.fixture(scope="module")
def values(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("errors")
    shutil.copytree(EX / "module", tmp / "m")
    (tmp / "empty.asc").write_bytes(b"")
    protected = generate_key(
        "Protected <p@example.org>",
        now=datetime.now(timezone.utc) - timedelta(hours=1),
        passphrase=b"s3cret",
    )
    (tmp / "protected.key").write_bytes(protected.secret_key)
    return {
        "tmp": str(tmp),
        "m": str(tmp / "m"),
        "key": str(EX / "example-dev.sec.asc"),
        "protected": str(tmp / "protected.key"),
        "dev": str(EX / "example-dev.asc"),
        "master": str(EX / "example-master.asc"),
        "hello": str(EX / "hello.txt.asc"),
    }


@pytest.mark.parametrize(
    ("argv", "message", "kind", "schema"), CASES, ids=[" ".join(c[0][:2]) for c in CASES]
)
def test_one_line_exit_2_and_a_json_error_document(
    argv: list[str], message: str, kind: str | None, schema: str | None, values: dict[str, str]
) -> None:
    args = [a.format(**values) for a in argv]
    r = run_pgpsig(*args, stdin=b"")  # stdin is no terminal: nothing is asked
    stderr = r.stderr.decode()
    assert r.returncode == 2, stderr
    assert r.stdout == b""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("pgpsig: "), stderr
    assert "internal error" not in stderr
    said = lines[0].removeprefix("pgpsig: ")
    for part in message.format(**values).split(" … "):  # " … ": the program's name as run
        assert part in said, said
    if kind is None:
        return
    r = run_pgpsig(*args, "--json", stdin=b"")
    assert r.returncode == 2
    doc = json.loads(r.stdout)
    assert doc == {"error": {"kind": kind, "message": doc["error"]["message"]}}
    assert f"pgpsig: {doc['error']['message']}" in r.stderr.decode().splitlines()
    assert_valid(doc, "error")
    if schema is not None:
        assert_valid(doc, schema)
