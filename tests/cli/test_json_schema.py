"""The JSON Schemas pgpsig ships (``pgpsig.schemas``) hold for what ``--json`` really prints.

Keys are made, certified and revoked, modules signed, and files clear-signed and signed detached
by pgpsig's own commands (``pgpsig key generate``, ``key certify``, ``key revoke``, ``sign``,
``pgpsig-sop sign`` and ``inline-sign``) in real processes; then ``check``, ``verify``, ``sign``
and ``key list`` run with ``--json`` and every document they print is validated against its
command's schema: modules good (129), tampered (130), unsigned (8), by an untrusted signer (4),
by a revoked key (64), several in one run, a FreePBX webroot with an empty ``module.sig`` (not
verified); verify good and bad, clear-signed and detached; sign one module and several; key list
with a signing subkey, revoked and expired keys, from a keyring and from the store, and every
committed key of the vectors; the error document of each command's exit 2 (usage, missing file,
malformed input). The schemas are shown to reject wrong documents (a required key missing, an
unknown status, a time not in UTC ``Z`` form, ...), their enumerations to be the code's, and their
shared definitions to be the same in every file.
"""

from __future__ import annotations

import copy
import json
import shutil
import struct
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, get_args

import pytest

from conftest import VECTORS, run_pgpsig
from jsonschemas import assert_valid, schema_errors
from pgpsig.schemas import NAMES, load

SOP = [sys.executable, "-c", "from pgpsig.cli import sop_main; sop_main()"]
FLAG_NAMES = [
    "GOOD",
    "TAMPERED",
    "INVALID",
    "UNSIGNED",
    "UNSUPPORTED",
    "EXPIRED",
    "REVOKED",
    "TRUSTED",
]
#: Each command's schema, by the words of its command line.
SCHEMA_OF = {"check": "check", "verify": "verify", "sign": "sign", "key list": "key-list"}


def run_json(*args: str | Path, code: int, env: dict[str, str] | None = None) -> Any:
    """Run ``pgpsig ARGS`` (``--json`` among them); assert its exit code; its JSON document."""
    r = run_pgpsig(*args, env=env)
    assert r.returncode == code, (args, r.returncode, r.stderr.decode(errors="replace"))
    return json.loads(r.stdout)


def sop(*args: str | Path, stdin: bytes) -> bytes:
    r = subprocess.run(
        [*SOP, *map(str, args)], input=stdin, capture_output=True, timeout=120, check=False
    )
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    return r.stdout


def assert_check_consistent(doc: dict[str, Any]) -> None:
    """What a schema cannot say of a check report: flags name the status's bits, the counts add up."""
    for m in doc["modules"]:
        assert m["flags"] == [n for i, n in enumerate(FLAG_NAMES) if m["status"] & (1 << i)], m
    summary = doc["summary"]
    assert summary["modules"] == len(doc["modules"])
    assert summary["good"] == sum(m["status"] == 129 for m in doc["modules"])
    assert summary["good"] + summary["failed"] + summary["not_verified"] == summary["modules"]


# --------------------------------------------------------------------------------------------------
# The world: keys, a keyring, modules, signed files


@dataclass
class World:
    d: Path
    fpr: dict[str, str] = field(default_factory=dict)
    created: dict[str, datetime] = field(default_factory=dict)
    signing_key: dict[str, str] = field(default_factory=dict)
    sign_one: Any = None
    sign_many: Any = None

    @property
    def ring(self) -> Path:
        return self.d / "ring"

    @property
    def mods(self) -> Path:
        return self.d / "mods"

    def sec(self, label: str) -> Path:
        return self.d / f"{label}.sec"

    def check(self, *args: str | Path, code: int) -> Any:
        return run_json(
            "check",
            *args,
            "--keyring",
            self.ring,
            "--trust-root",
            self.fpr["root"],
            "--json",
            code=code,
        )


def write_module(d: Path) -> Path:
    (d / "views").mkdir(parents=True)
    (d / "module.xml").write_text(f"<module><rawname>{d.name}</rawname></module>\n")
    (d / f"{d.name}.class.php").write_text("<?php class Sample {}\n")
    (d / "views/main.php").write_text("<h1>sample</h1>\n")
    return d


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    w = World(tmp_path_factory.mktemp("json-schema"))
    w.ring.mkdir()
    keys = {
        "root": (),
        "dev": ("--signing-subkey",),
        "stranger": (),
        "rev": (),
        "exp": ("--expires", "1d"),
    }
    for label, extra in keys.items():
        made = run_json(
            "key",
            "generate",
            "--uid",
            f"{label} <{label}@example.org>",
            "--out",
            w.sec(label),
            "--cert-out",
            w.d / f"{label}.asc",
            *extra,
            "--json",
            code=0,
        )
        w.fpr[label] = made["fingerprint"]
        w.signing_key[label] = made["signing_key"]
        w.created[label] = datetime.fromisoformat(made["created"].replace("Z", "+00:00"))
    for label in ("dev", "rev", "exp"):
        r = run_pgpsig(
            "key",
            "certify",
            w.d / f"{label}.asc",
            "--with",
            w.sec("root"),
            "--out",
            w.ring / f"{label}.asc",
        )
        assert r.returncode == 0, r.stderr
    for label in ("root", "stranger"):
        shutil.copy(w.d / f"{label}.asc", w.ring / f"{label}.asc")

    for name in ("good", "tampered", "unsigned", "untrusted", "revoked", "single"):
        write_module(w.mods / name)
    w.sign_many = run_json(
        "sign", w.mods / "good", w.mods / "tampered", "--key", w.sec("dev"), "--json", code=0
    )
    w.sign_one = run_json("sign", w.mods / "single", "--key", w.sec("dev"), "--json", code=0)
    run_json("sign", w.mods / "untrusted", "--key", w.sec("stranger"), "--json", code=0)
    run_json("sign", w.mods / "revoked", "--key", w.sec("rev"), "--json", code=0)
    (w.mods / "tampered/views/main.php").write_text("<h1>changed</h1>\n")
    (w.mods / "tampered/tampered.class.php").unlink()
    (w.mods / "tampered/new.php").write_text("<?php // not listed\n")

    # The rev key is revoked after it signed (compromised: its signatures are void).
    r = run_pgpsig(
        "key",
        "revoke",
        w.sec("rev"),
        "--reason",
        "compromised",
        "--message",
        "leaked",
        "--out",
        w.d / "rev.rev",
    )
    assert r.returncode == 0, r.stderr
    with (w.ring / "rev.asc").open("ab") as f:
        f.write((w.d / "rev.rev").read_bytes())

    data = b"Hello from the JSON schema tests.\n"
    (w.d / "data.txt").write_bytes(data)
    (w.d / "data.sig").write_bytes(sop("sign", w.sec("dev"), stdin=data))
    (w.d / "data.asc").write_bytes(
        sop("inline-sign", "--as", "clearsigned", w.sec("dev"), w.sec("stranger"), stdin=data)
    )
    return w


# --------------------------------------------------------------------------------------------------
# check


@pytest.fixture(scope="module")
def check_doc(world: World) -> Any:
    return world.check("--modules-dir", world.mods, code=1)


def test_check_modules(world: World, check_doc: Any) -> None:
    assert_valid(check_doc, "check")
    assert_check_consistent(check_doc)
    by = {m["module"]: m for m in check_doc["modules"]}
    want = {
        "good": (129, "good"),
        "single": (129, "good"),
        "tampered": (130, "good"),
        "unsigned": (8, "missing"),
        "untrusted": (4, "untrusted"),
        "revoked": (64, "revoked"),
    }
    assert {k: (m["status"], m["signature"]["status"]) for k, m in by.items()} == want
    assert by["tampered"]["files"]["altered"] == ["views/main.php"]
    assert by["tampered"]["files"]["missing"] == ["tampered.class.php"]
    assert by["tampered"]["files"]["unlisted"] == ["new.php"]
    assert by["good"]["signature"]["trust_path"] == [world.fpr["root"], world.fpr["dev"]]
    assert check_doc["trust_roots"] == [{"fingerprint": world.fpr["root"], "source": "option"}]


def test_check_unsigned_module_has_every_signature_key(check_doc: Any) -> None:
    """Producer fix: an unsigned module's signature was {"status": "missing"} alone."""
    by = {m["module"]: m["signature"] for m in check_doc["modules"]}
    assert set(by["unsigned"]) == set(by["good"])
    nothing = (
        "signer",
        "primary",
        "created",
        "hash_algorithm",
        "trusted",
        "trust_path",
        "warnings",
    )
    assert [by["unsigned"][k] for k in nothing] == [None, None, None, "", False, [], []]


def test_check_one_good_module(world: World) -> None:
    doc = world.check(world.mods / "good", code=0)
    assert_valid(doc, "check")
    assert_check_consistent(doc)
    assert doc["summary"] == {"modules": 1, "good": 1, "failed": 0, "not_verified": 0}


def test_check_freepbx_webroot_with_an_empty_module_sig(world: World) -> None:
    web = world.d / "webroot"
    bmo = web / "admin/libraries/BMO"
    bmo.mkdir(parents=True)
    shutil.copy(world.ring / "root.asc", bmo / "root.key")
    shutil.copy(world.ring / "dev.asc", bmo / "dev.key")
    shutil.copytree(world.mods / "good", web / "admin/modules/core")
    stock = write_module(web / "admin/modules/stock")
    (stock / "module.sig").write_bytes(b"")
    doc = run_json(
        "check",
        "--freepbx-webroot",
        web,
        "--trust-root",
        world.fpr["root"],
        "--freepbx-secure-dir",
        world.d / "no-secure-dir",
        "--json",
        code=0,
    )
    assert_valid(doc, "check")
    assert_check_consistent(doc)
    assert doc["summary"] == {"modules": 2, "good": 1, "failed": 0, "not_verified": 1}
    stock_sig = {m["module"]: m for m in doc["modules"]}["stock"]["signature"]
    assert (stock_sig["status"], stock_sig["hash_algorithm"]) == ("malformed", "")


# --------------------------------------------------------------------------------------------------
# verify


def test_verify_clear_signed_good(world: World) -> None:
    doc = run_json(
        "verify", world.d / "data.asc", "--keyring", world.ring, "-n", "2", "--json", code=0
    )
    assert_valid(doc, "verify")
    assert [(s["status"], s["primary"]) for s in doc["signatures"]] == [
        ("good", world.fpr["dev"]),
        ("good", world.fpr["stranger"]),
    ]
    assert doc["signatures"][0]["signer"] == world.signing_key["dev"]  # the subkey
    assert all(s["warnings"] == [] for s in doc["signatures"])  # always there, even empty


def test_verify_clear_signed_bad(world: World) -> None:
    bad = world.d / "bad.asc"
    bad.write_bytes((world.d / "data.asc").read_bytes().replace(b"Hello", b"Hullo"))
    doc = run_json("verify", bad, "--keyring", world.ring, "--json", code=1)
    assert_valid(doc, "verify")
    assert [s["status"] for s in doc["signatures"]] == ["bad", "bad"]


def test_verify_detached_good_and_too_few(world: World) -> None:
    args = ("verify", world.d / "data.txt", "--signature", world.d / "data.sig")
    doc = run_json(*args, "--keyring", world.ring, "--json", code=0)
    assert_valid(doc, "verify")
    assert doc["ok"] is True
    doc = run_json(*args, "--keyring", world.ring, "--min-signatures", "2", "--json", code=1)
    assert_valid(doc, "verify")
    assert (doc["ok"], doc["signatures"][0]["status"]) == (False, "good")
    doc = run_json(*args, "--keyring", world.ring / "root.asc", "--json", code=1)
    assert_valid(doc, "verify")
    assert doc["signatures"][0]["status"] == "unknown-key"


def test_verify_detached_bad(world: World) -> None:
    altered = world.d / "altered.txt"
    altered.write_bytes(b"Hullo from the JSON schema tests.\n")
    doc = run_json(
        "verify",
        altered,
        "--signature",
        world.d / "data.sig",
        "--keyring",
        world.ring,
        "--json",
        code=1,
    )
    assert_valid(doc, "verify")
    assert doc["signatures"][0]["status"] == "bad"


def _signature_naming(issuer_fingerprint: bytes, created: int) -> bytes:
    """A binary v4 EdDSA data signature packet whose issuer fingerprint subpacket holds these bytes.

    Its MPIs are filler: the signer is looked up (and not found) before any check of them.
    """

    def subpacket(kind: int, body: bytes) -> bytes:
        return bytes([len(body) + 1, kind]) + body

    hashed = subpacket(2, struct.pack(">I", created)) + subpacket(33, b"\x04" + issuer_fingerprint)
    mpi = struct.pack(">H", 256) + b"\x01" * 32
    body = bytes([4, 0x00, 22, 8]) + struct.pack(">H", len(hashed)) + hashed + b"\x00\x00\x12\x34"
    body += mpi + mpi
    return bytes([0xC2, len(body)]) + body


def test_verify_names_no_malformed_fingerprint_as_signer(world: World) -> None:
    """Producer fix: an issuer fingerprint of 4 octets was reported as the signer ("AABBCCDD")."""
    sig = world.d / "short-issuer.sig"
    sig.write_bytes(
        _signature_naming(bytes.fromhex("AABBCCDD"), int(world.created["dev"].timestamp()))
    )
    doc = run_json(
        "verify",
        world.d / "data.txt",
        "--signature",
        sig,
        "--keyring",
        world.ring,
        "--json",
        code=1,
    )
    assert_valid(doc, "verify")
    (s,) = doc["signatures"]
    assert (s["status"], s["signer"], s["primary"]) == ("unknown-key", None, None)
    assert "AABBCCDD" in s["reason"]  # still said, as what the signature names


# --------------------------------------------------------------------------------------------------
# sign


def test_sign_one_module(world: World) -> None:
    doc = world.sign_one
    assert_valid(doc, "sign")
    assert set(doc) >= {"path", "signer"}  # one module: the document itself, no "modules"
    assert (doc["signer"], doc["primary"]) == (world.signing_key["dev"], world.fpr["dev"])


def test_sign_several_modules(world: World, tmp_path: Path) -> None:
    assert_valid(world.sign_many, "sign")
    assert len(world.sign_many["modules"]) == 2
    # --modules-dir gives the list, even of one module.
    write_module(tmp_path / "mods/only")
    doc = run_json(
        "sign",
        "--modules-dir",
        tmp_path / "mods",
        "--key",
        world.sec("dev"),
        "--hash",
        "sha256",
        "--json",
        code=0,
    )
    assert_valid(doc, "sign")
    assert [m["hash_algorithm"] for m in doc["modules"]] == ["SHA256"]


# --------------------------------------------------------------------------------------------------
# key list


def test_key_list_subkeys_revoked_expired(world: World) -> None:
    later = (world.created["exp"] + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    doc = run_json("key", "list", "--keyring", world.ring, "--at", later, "--json", code=0)
    assert_valid(doc, "key-list")
    by = {k["fingerprint"]: k for k in doc["keys"]}
    validity = {label: by[fpr]["validity"] for label, fpr in world.fpr.items()}
    assert validity == {
        "root": "valid",
        "dev": "valid",
        "stranger": "valid",
        "rev": "revoked",
        "exp": "expired",
    }
    (sub,) = by[world.fpr["dev"]]["subkeys"]
    assert (sub["fingerprint"], sub["flags"]) == (world.signing_key["dev"], ["sign"])
    assert by[world.fpr["rev"]]["revocation"]["reason"] == "compromised"
    assert by[world.fpr["dev"]]["certified_by"] == [world.fpr["root"]]
    assert doc["trust_roots"] is None


def test_key_list_of_the_store(world: World, tmp_path: Path) -> None:
    env = {"PGPSIG_HOME": str(tmp_path / "store")}
    for cert in ("root.asc", "dev.asc", "rev.asc"):
        r = run_pgpsig("key", "import", world.ring / cert, env=env)
        assert r.returncode == 0, r.stderr
    r = run_pgpsig("key", "trust-root", "add", world.fpr["root"], env=env)
    assert r.returncode == 0, r.stderr
    doc = run_json("key", "list", "--json", code=0, env=env)
    assert_valid(doc, "key-list")
    assert doc["trust_roots"] == [{"fingerprint": world.fpr["root"], "source": "store"}]
    roots = {k["fingerprint"]: k["trust_root"] for k in doc["keys"]}
    assert roots == {world.fpr["root"]: True, world.fpr["dev"]: False, world.fpr["rev"]: False}


COMMITTED_KEYS = sorted((VECTORS / "keys").glob("*.pgp")) + sorted(
    (VECTORS / "attacks/keys").glob("*.pgp")
)


def test_key_list_of_every_committed_key(capsys: pytest.CaptureFixture[str]) -> None:
    """Revoked (hard, soft), expired, forged, critical-unknown, subkey-less certificates: valid docs.

    In this process (``cli.app.dispatch``, what ``pgpsig`` runs): one certificate file at a time,
    then all of them in one keyring (where the issuers of the certifications are found).
    """
    from pgpsig.cli.app import dispatch

    assert len(COMMITTED_KEYS) > 15
    seen: set[str] = set()
    rings = [["--keyring", str(path)] for path in COMMITTED_KEYS]
    rings.append(["--keyring", str(VECTORS / "keys"), "--keyring", str(VECTORS / "attacks/keys")])
    for ring in rings:
        code = dispatch(["key", "list", *ring, "--at", "2030-01-01", "--json"])
        assert code == 0, ring
        doc = json.loads(capsys.readouterr().out)
        assert_valid(doc, "key-list")
        seen.update(k["validity"] for k in doc["keys"])
        seen.update(c["status"] for k in doc["keys"] for c in k["certifications"])
    assert {"valid", "revoked", "expired", "invalid", "bad", "issuer-revoked", "unverified"} <= seen


# --------------------------------------------------------------------------------------------------
# The error document of each command's exit 2


ERRORS: list[tuple[str, str, tuple[str, ...]]] = [
    ("usage", "check", ()),
    ("input", "check", ("{d}/no-such-module",)),
    ("format", "check", ("{d}/mods/good", "--keyring", "{d}/junk.asc")),
    ("usage", "verify", ()),
    ("input", "verify", ("{d}/no-such-file.asc",)),
    ("format", "verify", ("{d}/junk.asc", "--keyring", "{d}/ring")),
    ("usage", "sign", ("{d}/mods/good",)),
    ("input", "sign", ("{d}/mods/good", "--key", "{d}/no-such-key")),
    ("format", "sign", ("{d}/mods/good", "--key", "{d}/junk.asc")),
    ("usage", "key list", ("--no-such-option",)),
    ("input", "key list", ("--keyring", "{d}/no-such-keyring")),
    ("format", "key list", ("--keyring", "{d}/junk.asc")),
]


@pytest.mark.parametrize(
    ("kind", "command", "args"), ERRORS, ids=[f"{c}-{k}" for k, c, _ in ERRORS]
)
def test_error_document(world: World, kind: str, command: str, args: tuple[str, ...]) -> None:
    (world.d / "junk.asc").write_text("not OpenPGP at all\n")
    argv = [*command.split(), *(a.format(d=world.d) for a in args), "--json"]
    r = run_pgpsig(*argv)
    assert r.returncode == 2, (argv, r.stderr)
    doc = json.loads(r.stdout)
    assert_valid(doc, SCHEMA_OF[command])
    assert_valid(doc, "error")
    assert doc["error"]["kind"] == kind, doc


# --------------------------------------------------------------------------------------------------
# The schemas reject what is wrong


#: A key to delete (the value of an edit of :data:`MUTATIONS`).
DELETE = object()


def _edit(doc: Any, path: str, value: Any) -> None:
    """Set (or, for :data:`DELETE`, delete) the value at ``path`` (``modules/0/status``)."""
    *head, last = path.split("/")
    for part in head:
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    key: Any = int(last) if isinstance(doc, list) else last
    if value is DELETE:
        del doc[key]
    else:
        doc[key] = value


SIG = "modules/0/signature"
#: (what, real document, edits, where the schema must report it). The real documents are
#: :func:`real_docs`'s; "-many" is a document of several modules validated by the same schema.
MUTATIONS: list[tuple[str, str, dict[str, Any], str]] = [
    ("a required key missing", "check", {f"{SIG}/trusted": DELETE}, SIG),
    ("a summary count missing", "check", {"summary/not_verified": DELETE}, "summary"),
    ("an unknown signature status", "check", {f"{SIG}/status": "fine"}, f"{SIG}/status"),
    ("an unknown module key", "check", {"modules/0/note": "hello"}, "modules/0"),
    ("a status beyond the bits", "check", {"modules/0/status": 256}, "modules/0/status"),
    ("an unknown flag", "check", {"modules/0/flags/1": "SHINY"}, "modules/0/flags/1"),
    (
        "a time not in UTC Z form",
        "check",
        {f"{SIG}/created": "2026-01-01T00:00:00+00:00"},
        f"{SIG}/created",
    ),
    ("a lower-case fingerprint", "check", {f"{SIG}/primary": "ab" * 20}, f"{SIG}/primary"),
    ("a key ID for a fingerprint", "check", {f"{SIG}/signer": "AB" * 8}, f"{SIG}/signer"),
    ("a good signature not trusted", "check", {f"{SIG}/trusted": False}, f"{SIG}/trusted"),
    ("an unknown hash", "check", {f"{SIG}/hash_algorithm": "SHA2"}, f"{SIG}/hash_algorithm"),
    ("an unknown root source", "check", {"trust_roots/0/source": "friend"}, "trust_roots/0/source"),
    (
        "an unknown file problem",
        "check",
        {"modules/0/files/problems": [{"entry": "a", "path": "/a", "problem": "odd"}]},
        "modules/0/files/problems/0/problem",
    ),
    (
        "a status verify never gives",
        "verify",
        {"signatures/0/status": "untrusted", "signatures/0/reason": "x"},
        "signatures/0/status",
    ),
    ("a signature without warnings", "verify", {"signatures/0/warnings": DELETE}, "signatures/0"),
    (
        "a bad signature without reason",
        "verify",
        {"signatures/0/status": "bad"},
        "signatures/0/reason",
    ),
    (
        "ok with a bad signature",
        "verify",
        {"signatures/0/status": "bad", "signatures/0/reason": "x"},
        "signatures",
    ),
    (
        "ok with no good signature",
        "verify",
        {
            "signatures/0/status": "unknown-key",
            "signatures/0/reason": "x",
            "signatures/1/status": "expired",
            "signatures/1/reason": "x",
        },
        "signatures",
    ),
    ("a text", "verify", {"text": "Hello"}, "text"),
    ("a negative block", "verify", {"signatures/0/block": -1}, "signatures/0/block"),
    ("an unknown validity", "key-list", {"keys/0/validity": "fine"}, "keys/0/validity"),
    ("a valid key with a reason", "key-list", {"keys/0/reason": "because"}, "keys/0/reason"),
    (
        "a revoked key without revocation",
        "key-list",
        {"keys/0/validity": "revoked", "keys/0/reason": "x"},
        "keys/0/revocation",
    ),
    ("an unknown key flag", "key-list", {"keys/0/flags/0": "fly"}, "keys/0/flags/0"),
    ("no trust roots key", "key-list", {"trust_roots": DELETE}, "(document)"),
    ("a hash sign never uses", "sign", {"hash_algorithm": "SHA1"}, "hash_algorithm"),
    ("a path that is no module.sig", "sign", {"path": "mods/good"}, "path"),
    ("no module signed", "sign-many", {"modules": []}, "modules"),
    ("an unknown error kind", "error", {"error/kind": "oops"}, "error/kind"),
    ("an empty error message", "error", {"error/message": ""}, "error/message"),
    ("an error beside a report", "error", {"modules": []}, "(document)"),
]


@pytest.fixture(scope="module")
def real_docs(world: World) -> dict[str, Any]:
    return {
        "check": world.check(world.mods / "good", code=0),
        "verify": run_json(
            "verify", world.d / "data.asc", "--keyring", world.ring, "--json", code=0
        ),
        "key-list": run_json("key", "list", "--keyring", world.ring / "root.asc", "--json", code=0),
        "sign": world.sign_one,
        "sign-many": world.sign_many,
        "error": run_json("check", "--json", code=2),
    }


@pytest.mark.parametrize(
    ("what", "doc", "edits", "where"), MUTATIONS, ids=[m[0] for m in MUTATIONS]
)
def test_schema_rejects(
    real_docs: dict[str, Any], what: str, doc: str, edits: dict[str, Any], where: str
) -> None:
    name = doc.removesuffix("-many")
    base = real_docs[doc]
    assert schema_errors(base, name) == [], "the real document is valid"
    wrong = copy.deepcopy(base)
    for path, value in edits.items():
        _edit(wrong, path, value)
    errors = schema_errors(wrong, name)
    assert any(e.startswith(f"{where}: ") for e in errors), (what, errors)


def test_an_error_document_is_no_report_and_a_report_no_error(real_docs: dict[str, Any]) -> None:
    assert schema_errors(real_docs["error"], "check") == []
    assert schema_errors(real_docs["check"], "error")
    assert schema_errors(real_docs["check"], "verify")
    assert schema_errors(real_docs["verify"], "check")


# --------------------------------------------------------------------------------------------------
# The schemas themselves


def _defs(name: str) -> dict[str, Any]:
    defs: dict[str, Any] = load(name)["$defs"]
    return defs


def test_every_schema_is_a_valid_draft_2020_12_schema() -> None:
    from jsonschema import Draft202012Validator

    for name in NAMES:
        schema = load(name)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        Draft202012Validator.check_schema(schema)
    with pytest.raises(ValueError, match="no schema named"):
        load("nope")


def test_shared_definitions_are_one_in_every_file() -> None:
    """Each file stands alone; its copies of the error document and of the shared types agree."""
    copies: dict[str, list[tuple[str, Any]]] = {}
    for name in NAMES:
        for key, value in _defs(name).items():
            copies.setdefault(key, []).append((name, value))
    for key in ("error", "fingerprint", "time", "hash", "trust_root"):
        values = [v for _name, v in copies[key]]
        assert all(v == values[0] for v in values), (key, [n for n, _ in copies[key]])
    assert {n for n, _ in copies["error"]} == set(NAMES)


def test_enumerations_are_the_codes() -> None:
    from pgpsig.engine.revocation import _REASON_NAMES
    from pgpsig.engine.trust import RootSource
    from pgpsig.keys.listing import _FLAG_NAMES
    from pgpsig.modules.sign import SIGN_HASHES
    from pgpsig.openpgp.ids import ALGORITHM_NAMES, HASH_NAMES
    from pgpsig.report import SigStatus, Status

    statuses = {s.value for s in SigStatus}
    check, verify = _defs("check"), _defs("verify")
    assert set(check["signature"]["properties"]["status"]["enum"]) == statuses
    # verify judges no trust and always has a signature packet.
    assert set(verify["signature"]["properties"]["status"]["enum"]) == statuses - {
        "untrusted",
        "missing",
    }
    assert check["module"]["properties"]["flags"]["items"]["enum"] == [s.name for s in Status]
    assert check["trust_root"]["properties"]["source"]["enum"] == list(get_args(RootSource))
    assert _defs("sign")["signed"]["properties"]["hash_algorithm"]["enum"] == list(SIGN_HASHES)
    keys = _defs("key-list")
    assert keys["flags"]["items"]["enum"] == [name for _bit, name in _FLAG_NAMES]
    reasons = keys["revocation"]["properties"]["reason"]["anyOf"][0]["enum"]
    assert set(reasons) == set(_REASON_NAMES.values())

    def matches(definition: dict[str, Any], value: str) -> bool:
        from jsonschema import Draft202012Validator

        return Draft202012Validator(definition).is_valid(value)

    for name in HASH_NAMES.values():
        assert matches(check["hash"], name), name
    assert matches(check["hash"], "HASH99") and not matches(check["hash"], "SHA2")
    for name in ALGORITHM_NAMES.values():
        assert matches(keys["algorithm"], name), name
    assert matches(keys["algorithm"], "algorithm 99") and not matches(keys["algorithm"], "Ed")
