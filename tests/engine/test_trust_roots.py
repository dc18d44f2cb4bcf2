"""Which trust roots are in force, where they came from, and what may stand for a root.

The rule (README, Commands/check): roots named on the command line (``--trust-root``, with the
FreePBX preset's master keys when ``--freepbx-webroot`` is used) are *exactly* the roots in force;
the store's ``roots`` file applies only when none is named. A stored or preset root missing from
the keyring is a warning naming where it came from; a named root that resolves to nothing is an
error. ``check --json`` says which roots were in force (``trust_roots``), the human output too.

Roots resolve only to certificates' *primary* keys: an attacker's certificate that carries a copy
of a root's public key as a subkey (bound by the attacker's own primary key, or not bound at all)
must never stand in for the root when the root's own certificate is absent, whether the root is
named by fingerprint or key ID, stored, or the FreePBX preset's. Before this rule, such a
certificate became the root and the attacker's modules were 129.

Keys and gpg-made module signatures come from the session's key factory (``keyfactory.py``);
the CLI runs in a real process with ``PGPSIG_HOME`` pointing at a store made here.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import keyfactory
from jsonschemas import assert_valid
from keyfactory import Factory, signphp_body, signphp_hashes, write_tree

pytestmark = pytest.mark.oracle

Run = Callable[..., subprocess.CompletedProcess[bytes]]

GOOD_TRUSTED, INVALID = 129, 4
SAMPLE = {"module.xml": b"<module><rawname>m</rawname></module>\n", "lib/a.php": b"<?php\n"}
FREEPBX_V1 = "0BDE0BFA09946D732091E26E1588A7366BD35B34"
FREEPBX_V2 = "2016349F5BC6F49340FCCAF99F9169F4B33B4659"


@pytest.fixture(scope="session")
def kf(tmp_path_factory: pytest.TempPathFactory) -> Factory:
    return keyfactory.factory(tmp_path_factory)


# --------------------------------------------------------------------------------------------------
# Helpers


def _module(kf: Factory, signer: str, name: str = "m", parent: Path | None = None) -> Path:
    """A module signed by ``signer`` with gpg (sign.php's manifest)."""
    mod = write_tree((parent or kf.scratch(name)) / name, SAMPLE)
    text = signphp_body(signphp_hashes(mod), signedwith=kf[signer].fpr[-16:])
    (mod / "module.sig").write_bytes(kf.clearsign(signer, text))
    return mod


def _keyring(kf: Factory, *labels: str, extra: dict[str, bytes] | None = None) -> Path:
    """A keyring directory holding the factory certificates ``labels`` (and ``extra`` files)."""
    d = kf.scratch("ring")
    for label in labels:
        shutil.copy(kf[label].cert, d / f"{label}.asc")
    for name, data in (extra or {}).items():
        (d / name).write_bytes(data)
    return d


def _home(kf: Factory, *roots: str) -> Path:
    """A store home whose ``roots`` file lists ``roots`` (its ``certs/`` is empty)."""
    home = kf.scratch("home")
    (home / "certs").mkdir()
    (home / "roots").write_text("# test roots\n" + "".join(f"{r}  # a root\n" for r in roots))
    return home


def _error_document(out: str, err: str) -> dict[str, str]:
    """The ``{"error": ...}`` document --json prints for exit 2: its message is stderr's line."""
    doc = json.loads(out)
    assert_valid(doc, "error")
    assert list(doc) == ["error"], doc
    assert f"pgpsig: {doc['error']['message']}" in err, (doc, err)
    return dict(doc["error"])


def _check(
    pgpsig: Run, home: Path, *args: str | Path, as_json: bool = True
) -> tuple[int, Any, str]:
    """``pgpsig check ARGS [--json]`` with the store ``home``: (exit code, JSON or text, stderr)."""
    r = pgpsig("check", *args, *(["--json"] if as_json else []), env={"PGPSIG_HOME": str(home)})
    out = r.stdout.decode()
    return (
        r.returncode,
        json.loads(out) if as_json and r.returncode != 2 else out,
        r.stderr.decode(),
    )


def _statuses(doc: dict[str, Any]) -> dict[str, int]:
    return {m["module"]: m["status"] for m in doc["modules"]}


def _primary_body(cert: bytes) -> bytes:
    from pgpsig.openpgp import packets

    return next(p.body for p in packets.iter_packets(cert) if p.tag == 6)


def with_subkey_copy(attacker: keyfactory.Key, victim_cert: bytes, *, bound: bool) -> bytes:
    """The attacker's certificate (binary) with the victim's primary public key as a subkey.

    ``bound``: the copy gets a subkey binding (0x18, certify flag) made by the attacker's primary
    key, which verifies (no back-signature is needed for a key that does not sign).
    Otherwise the subkey packet follows the attacker's certificate with no signature at all.
    """
    from pgpsig.openpgp import write
    from pgpsig.openpgp.secretkey import load_signing_keys
    from pgpsig.openpgp.signing import signature_packet
    from pgpsig.openpgp.write import key_hash_input, subpacket

    own = attacker.cert_bin.read_bytes()
    body = _primary_body(victim_cert)
    out = own + write.packet_header(14, len(body)) + body
    if bound:
        key = next(k for k in load_signing_keys(attacker.secret.read_bytes()) if k.is_primary)
        out += signature_packet(
            key,
            key_hash_input(_primary_body(own)) + key_hash_input(body),
            sig_type=0x18,
            created=keyfactory.days_ago(1),
            extra_hashed_subpackets=[subpacket(27, b"\x01")],
        )
    return out


def _binary(cert: Path) -> bytes:
    from pgpsig.openpgp import armor

    data = cert.read_bytes()
    return armor.decode(data).data if armor.is_armored(data) else data


# --------------------------------------------------------------------------------------------------
# Explicit roots are exactly the roots in force; the store's apply only without them


def test_explicit_root_excludes_stored_roots(pgpsig: Run, kf: Factory) -> None:
    """The store trusts the root, the user names another key: the root's signers are untrusted."""
    home = _home(kf, kf.root.fpr)
    mods = kf.scratch("mods")
    _module(kf, "dev", "bydev", mods)  # dev is certified by the root only
    _module(kf, "stranger", "bystranger", mods)  # the stranger is the root the user names
    ring = _keyring(kf, "root", "dev", "stranger")
    code, doc, err = _check(
        pgpsig, home, "--modules-dir", mods, "--keyring", ring, "--trust-root", kf["stranger"].fpr
    )
    assert code == 1, err
    assert _statuses(doc) == {"bydev": INVALID, "bystranger": GOOD_TRUSTED}
    assert doc["trust_roots"] == [{"fingerprint": kf["stranger"].fpr, "source": "option"}]
    assert kf.root.fpr not in err and "warning" not in err, err

    # Without --trust-root, the store's root is the one in force.
    code, doc, err = _check(pgpsig, home, "--modules-dir", mods, "--keyring", ring)
    assert code == 1, err
    assert _statuses(doc) == {"bydev": GOOD_TRUSTED, "bystranger": INVALID}
    assert doc["trust_roots"] == [{"fingerprint": kf.root.fpr, "source": "store"}]
    assert "warning" not in err, err


def test_explicit_roots_never_read_the_store(pgpsig: Run, kf: Factory) -> None:
    """A store roots file naming keys absent from the keyring does not matter to explicit roots."""
    home = _home(kf, kf["stranger"].fpr, "F" * 40)
    (home / "roots").write_bytes(b"\xff\xfe not text\n")  # unreadable as roots: never read
    mod = _module(kf, "dev")
    ring = _keyring(kf, "root", "dev")
    code, doc, err = _check(pgpsig, home, mod, "--keyring", ring, "--trust-root", kf.root.fpr)
    assert code == 0, err
    assert err == ""
    assert doc["trust_roots"] == [{"fingerprint": kf.root.fpr, "source": "option"}]


def test_stored_root_missing_from_keyring_is_a_warning(pgpsig: Run, kf: Factory) -> None:
    """Before, a stored root absent from --keyring aborted the check (exit 2) naming that key."""
    home = _home(kf, kf["devrsa"].fpr, kf.root.fpr)
    mods = kf.scratch("mods")
    _module(kf, "dev", "bydev", mods)
    _module(kf, "stranger", "bystranger", mods)
    ring = _keyring(kf, "root", "dev", "stranger")  # devrsa, a stored root, is not there
    code, doc, err = _check(pgpsig, home, "--modules-dir", mods, "--keyring", ring)
    assert code == 1, err
    assert _statuses(doc) == {"bydev": GOOD_TRUSTED, "bystranger": INVALID}
    assert doc["trust_roots"] == [{"fingerprint": kf.root.fpr, "source": "store"}]
    warning = f"warning: trust root {kf['devrsa'].fpr} from {home / 'roots'} is not in the keyring"
    assert warning in err, err
    assert len(err.strip().splitlines()) == 1, err

    # Only absent stored roots: no root in force, said so; every module still judged.
    home = _home(kf, kf["devrsa"].fpr)
    code, doc, err = _check(pgpsig, home, "--modules-dir", mods, "--keyring", ring)
    assert code == 1, err
    assert _statuses(doc) == {"bydev": INVALID, "bystranger": INVALID}
    assert doc["trust_roots"] == []
    assert kf["devrsa"].fpr in err and "no trust root in force" in err, err


def test_human_output_names_roots_in_force(pgpsig: Run, kf: Factory) -> None:
    mod = _module(kf, "dev")
    ring = _keyring(kf, "root", "dev", "devrsa")
    home = _home(kf, kf.root.fpr)
    code, out, err = _check(pgpsig, home, mod, "--keyring", ring, as_json=False)
    assert code == 0, err
    assert out.splitlines()[0] == f"trust roots: {kf.root.fpr} (store)"
    # A certificate file and a key ID name roots too; each root once per source, in order given.
    code, out, err = _check(
        pgpsig,
        home,
        mod,
        "--keyring",
        ring,
        "--trust-root",
        kf["devrsa"].fpr[-16:],
        "--trust-root",
        kf.root.cert,
        "--trust-root",
        kf.root.fpr.lower(),
        as_json=False,
    )
    assert code == 0, err
    assert out.splitlines()[0] == (
        f"trust roots: {kf['devrsa'].fpr} (option), {kf.root.fpr} (option)"
    )
    empty = _home(kf)
    code, out, err = _check(pgpsig, empty, mod, "--keyring", ring, as_json=False)
    assert code == 1, err
    assert out.splitlines()[0] == "trust roots: none"
    assert "no trust root in force" in err


_REVOCATION_ONLY = str(
    Path(__file__).resolve().parents[2]
    / "vectors/sig/revocation-certificate-armored-key-block.rev.asc"
)


@pytest.mark.parametrize(
    "ref",
    [
        "0123456789ABCDEF0123456789ABCDEF01234567",
        "0123456789ABCDEF",
        "no-such-file.asc",
        _REVOCATION_ONLY,
    ],
    ids=["fingerprint", "key-id", "missing-file", "file-without-certificate"],
)
def test_explicit_root_that_resolves_to_nothing_is_an_error(
    pgpsig: Run, kf: Factory, ref: str
) -> None:
    mod = _module(kf, "dev")
    ring = _keyring(kf, "root", "dev")
    code, out, err = _check(
        pgpsig,
        _home(kf, kf.root.fpr),
        mod,
        "--keyring",
        ring,
        "--trust-root",
        kf.root.fpr,
        "--trust-root",
        ref,
    )
    assert code == 2, (out, err)
    assert _error_document(out, err)["kind"] == "input"
    assert len(err.strip().splitlines()) == 1 and ref in err, err


def test_trust_root_file_without_certificate_never_falls_back_to_the_store(
    pgpsig: Run, kf: Factory
) -> None:
    """Only a revocation file given as ``--trust-root``: an error, not "no root given" (which would
    let the store's roots in: the module was 129 through a root the user did not name)."""
    mod = _module(kf, "dev")
    ring = _keyring(kf, "root", "dev")
    code, out, err = _check(
        pgpsig, _home(kf, kf.root.fpr), mod, "--keyring", ring, "--trust-root", _REVOCATION_ONLY
    )
    assert code == 2, (out, err)
    assert "holds no certificate" in err


# --------------------------------------------------------------------------------------------------
# Roots resolve only to primary keys: the subkey-copy attack


@pytest.mark.parametrize("bound", [True, False], ids=["bound", "unbound"])
def test_subkey_copy_of_root_never_becomes_the_root(pgpsig: Run, kf: Factory, bound: bool) -> None:
    """The root's own certificate is absent; the stranger's certificate carries its key."""
    attack = with_subkey_copy(kf["stranger"], _binary(kf.root.cert), bound=bound)
    ring = _keyring(kf, "dev", extra={"stranger.gpg": attack})
    mods = kf.scratch("mods")
    _module(kf, "stranger", "evil", mods)
    _module(kf, "dev", "bydev", mods)
    for ref in (kf.root.fpr, kf.root.fpr[-16:]):
        code, out, err = _check(
            pgpsig, _home(kf), "--modules-dir", mods, "--keyring", ring, "--trust-root", ref
        )
        assert code == 2, (out, err)
        assert _error_document(out, err)["kind"] == "input"
        assert f"trust root {ref} is not the primary key of a certificate" in err, err
        assert f"only a subkey of {kf['stranger'].fpr}" in err, err

    # Stored: a warning, and nobody is trusted.
    home = _home(kf, kf.root.fpr)
    code, doc, err = _check(pgpsig, home, "--modules-dir", mods, "--keyring", ring)
    assert code == 1, err
    assert _statuses(doc) == {"bydev": INVALID, "evil": INVALID}
    assert doc["trust_roots"] == []
    assert f"trust root {kf.root.fpr} from {home / 'roots'} is not the primary key" in err, err

    # With the root's own certificate present, the root (and only it) is in force.
    shutil.copy(kf.root.cert, ring / "root.asc")
    code, doc, err = _check(
        pgpsig,
        _home(kf),
        "--modules-dir",
        mods,
        "--keyring",
        ring,
        "--trust-root",
        kf.root.fpr[-16:],
    )
    assert code == 1, err
    assert _statuses(doc) == {"bydev": GOOD_TRUSTED, "evil": INVALID}
    assert doc["trust_roots"] == [{"fingerprint": kf.root.fpr, "source": "option"}]


def test_subkey_copy_of_freepbx_master_is_a_warning(
    pgpsig: Run, kf: Factory, conformance: Path
) -> None:
    """The preset's master v2 key as a subkey of the stranger's certificate in BMO: no trust."""
    master = conformance / "freepbx" / "keys" / "9F9169F4B33B4659.key"
    web = kf.scratch("freepbx") / "html"
    bmo = web / "admin/libraries/BMO"
    bmo.mkdir(parents=True)
    (bmo / "stranger.key").write_bytes(
        with_subkey_copy(kf["stranger"], _binary(master), bound=True)
    )
    _module(kf, "stranger", "core", web / "admin/modules")
    code, doc, err = _check(
        pgpsig,
        _home(kf, kf["stranger"].fpr),
        "--freepbx-webroot",
        web,
        "--freepbx-secure-dir",
        web / "secure",
    )
    assert code == 1, err
    assert _statuses(doc) == {"core": INVALID}
    assert doc["trust_roots"] == []  # the stored root does not apply either: the preset is explicit
    assert f"FreePBX preset trust root {FREEPBX_V2} is not the primary key" in err, err
    assert f"only a subkey of {kf['stranger'].fpr}" in err, err
    assert f"FreePBX preset trust root {FREEPBX_V1} is not in the keyring" in err, err

    # The real master certificates in BMO: both preset roots in force, named as the preset's.
    for name in ("1588A7366BD35B34.key", "9F9169F4B33B4659.key"):
        shutil.copy(conformance / "freepbx" / "keys" / name, bmo / name)
    (bmo / "stranger.key").unlink()
    shutil.copy(kf.root.cert, bmo / "root.key")
    shutil.copy(kf["stranger"].cert, bmo / "stranger.key")
    code, doc, err = _check(
        pgpsig,
        _home(kf),
        "--freepbx-webroot",
        web,
        "--freepbx-secure-dir",
        web / "secure",
        "--trust-root",
        kf["stranger"].fpr,
    )
    assert code == 0, err
    assert "warning" not in err, err
    assert doc["trust_roots"] == [
        {"fingerprint": kf["stranger"].fpr, "source": "option"},
        {"fingerprint": FREEPBX_V1, "source": "freepbx-preset"},
        {"fingerprint": FREEPBX_V2, "source": "freepbx-preset"},
    ]


def test_store_commands_never_take_a_subkey_copy_for_the_key(tmp_path: Path, kf: Factory) -> None:
    """``key trust-root add`` and ``key certify`` resolve CERT refs to primary keys only."""
    from conftest import run_pgpsig

    env = {"PGPSIG_HOME": str(tmp_path / "home")}
    attack = tmp_path / "stranger.gpg"
    attack.write_bytes(with_subkey_copy(kf["stranger"], _binary(kf.root.cert), bound=True))
    r = run_pgpsig("key", "import", attack, env=env)
    assert r.returncode == 0, r.stderr  # the bound copy is a valid subkey of the stranger's key
    listing = json.loads(run_pgpsig("key", "list", "--json", env=env).stdout)
    assert [s["fingerprint"] for s in listing["keys"][0]["subkeys"]] == [kf.root.fpr]
    for ref in (kf.root.fpr, kf.root.fpr[-16:]):
        r = run_pgpsig("key", "trust-root", "add", ref, env=env)
        assert r.returncode == 2, r.stdout
        assert b"only a subkey of" in r.stderr, r.stderr
        r = run_pgpsig(
            "key",
            "certify",
            ref,
            "--with",
            kf["dev"].secret,
            "--out",
            tmp_path / "c.asc",
            env={**env, "PGPSIG_PASSPHRASE": ""},
        )
        assert r.returncode == 2, r.stdout
        assert not (tmp_path / "c.asc").exists()
    assert not (tmp_path / "home" / "roots").exists()


def test_key_list_marks_only_primary_stored_roots(tmp_path: Path, kf: Factory) -> None:
    """``key list`` applies the same rule to the store's roots (and says which are in force)."""
    from conftest import run_pgpsig

    home = tmp_path / "home"
    env = {"PGPSIG_HOME": str(home)}
    attack = tmp_path / "stranger.gpg"
    attack.write_bytes(with_subkey_copy(kf["stranger"], _binary(kf.root.cert), bound=True))
    assert run_pgpsig("key", "import", attack, kf["dev"].cert, env=env).returncode == 0
    (home / "roots").write_text(f"{kf.root.fpr}\n{kf['dev'].fpr[-16:]}\n")
    r = run_pgpsig("key", "list", "--json", env=env)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    marked = {k["fingerprint"]: k["trust_root"] for k in doc["keys"]}
    assert marked == {kf["stranger"].fpr: False, kf["dev"].fpr: True}
    assert doc["trust_roots"] == [{"fingerprint": kf["dev"].fpr, "source": "store"}]
    assert f"trust root {kf.root.fpr} from {home / 'roots'}" in r.stderr.decode()
    # A --keyring listing does not know the roots check will be given.
    r = run_pgpsig("key", "list", "--keyring", kf["dev"].cert, "--json", env=env)
    doc = json.loads(r.stdout)
    assert doc["trust_roots"] is None and doc["keys"][0]["trust_root"] is None


def test_library_resolution_is_primary_only(kf: Factory) -> None:
    """``Keyring.find_primary`` and ``TrustRoots.select``, below the CLI."""
    from pgpsig.certs.keyring import Keyring, read_certs
    from pgpsig.engine.trust import TrustRoots
    from pgpsig.errors import KeyringError

    ring = Keyring()
    ring.add_all(read_certs(with_subkey_copy(kf["stranger"], _binary(kf.root.cert), bound=False)))
    root = kf.root.fpr
    assert ring.find(root) is not None  # the general lookup still finds keys by subkey
    for ref in (root, root[-16:], f"0x{root[-16:].lower()}", root[:20] + " " + root[20:]):
        assert ring.find_primary(ref) is None, ref
    stranger = kf["stranger"].fpr
    for ref in (stranger, stranger[-16:], stranger.lower(), f"0x{stranger[-16:]}"):
        found = ring.find_primary(ref)
        assert found is not None and found.fingerprint == stranger, ref
    with pytest.raises(KeyringError, match="only a subkey of"):
        TrustRoots.resolve([root], ring)
    roots = TrustRoots.select(ring, preset=[root], stored=lambda: pytest.fail("store read"))
    assert roots.fingerprints == frozenset() and len(roots.warnings) == 1
    roots = TrustRoots.select(ring, stored=lambda: [root, stranger], stored_from="R")
    assert roots.fingerprints == {stranger}
    assert [o.source for o in roots.origins] == ["store"]
    assert roots.warnings == (
        f"trust root {root} from R is not the primary key of a certificate in the keyring"
        f" (only a subkey of {stranger} matches, and a subkey is never a trust root): ignored",
    )
