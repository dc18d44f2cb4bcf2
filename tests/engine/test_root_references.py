"""``--trust-root`` values as roots, below the CLI: fingerprints, key IDs and certificate files.

``root_references`` says what a value may be (a certificate file joins the keyring; a revocation
file is an error, never "no root given"); ``TrustRoots.from_values`` then selects, reading the
store's roots only when nothing is named. The CLI-level rules are in ``test_trust_roots.py``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT
from pgpsig.certs.keyring import Keyring, load_keyring
from pgpsig.engine.trust import TrustRoots, root_references
from pgpsig.errors import InputError, KeyringError

EX = ROOT / "examples"
MASTER = EX / "example-master.asc"
DEV = EX / "example-dev.asc"


def _fpr(path: Path) -> str:
    (fpr,) = load_keyring([path]).certs
    return fpr


def test_fingerprints_and_key_ids_stay_as_given() -> None:
    fpr = _fpr(MASTER)
    values = [fpr, fpr.lower(), fpr[:20] + " " + fpr[20:], fpr[-16:], f"0x{fpr[-16:]}"]
    ring = Keyring()
    assert root_references(values, ring) == values
    assert not ring.certs


def test_a_certificate_file_joins_the_keyring() -> None:
    ring = load_keyring([DEV])
    assert root_references([str(MASTER)], ring) == [_fpr(MASTER)]
    assert set(ring.certs) == {_fpr(MASTER), _fpr(DEV)}


@pytest.mark.parametrize("value", ["nonsense", "ABCD", "0123456789ABCDEF0"])
def test_anything_else_is_an_input_error(value: str) -> None:
    with pytest.raises(InputError, match="not a certificate file, a fingerprint or a key ID"):
        root_references([value], Keyring())


@pytest.mark.parametrize("value", ["/no/such/file", "master.asc", "keys/master", "master.GPG"])
def test_a_missing_file_is_said_as_such(value: str) -> None:
    with pytest.raises(InputError, match=rf"^--trust-root {value}: no such file \(a trust root is"):
        root_references([value], Keyring())


def test_a_directory_is_said_as_such(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="a directory; give the master's certificate file"):
        root_references([str(tmp_path)], Keyring())


def test_a_file_without_certificate_is_an_error(tmp_path: Path) -> None:
    from pgpsig.keys import revoke_key

    rev = revoke_key(
        (EX / "example-dev.sec.asc").read_bytes(),
        passphrase=None,
        reason="retired",
        now=datetime(2025, 7, 1, tzinfo=timezone.utc),
    )
    path = tmp_path / "dev.rev"
    path.write_bytes(rev.revocation)
    with pytest.raises(InputError, match="holds no certificate"):
        root_references([str(path)], Keyring())


class _Store:
    """What from_values reads of a store: its roots (None: must not be read), and where they are."""

    def __init__(self, roots: list[str] | None) -> None:
        self._roots = roots
        self.roots_file = Path("/store/roots")

    def roots(self) -> list[str]:
        if self._roots is None:
            pytest.fail("the store's roots were read")
        return self._roots


def _store(roots: list[str] | None) -> Any:
    return _Store(roots)


def test_the_store_applies_only_when_nothing_is_named() -> None:
    master, dev = _fpr(MASTER), _fpr(DEV)
    ring = load_keyring([MASTER, DEV])
    roots = TrustRoots.from_values(ring, store=_store([dev]))
    assert roots.fingerprints == {dev}
    assert [o.source for o in roots.origins] == ["store"]
    roots = TrustRoots.from_values(ring, [master], store=_store(None))
    assert roots.fingerprints == {master}
    roots = TrustRoots.from_values(ring, preset=[master], store=_store(None))
    assert [o.source for o in roots.origins] == ["freepbx-preset"]
    assert TrustRoots.from_values(ring).fingerprints == frozenset()


def test_a_stored_root_missing_from_the_keyring_is_a_warning_a_named_one_an_error() -> None:
    ring = load_keyring([DEV])
    master = _fpr(MASTER)
    roots = TrustRoots.from_values(ring, store=_store([master]))
    assert roots.fingerprints == frozenset()
    assert roots.warnings == (
        f"trust root {master} from /store/roots is not in the keyring: ignored",
    )
    with pytest.raises(KeyringError, match="is not in the keyring"):
        TrustRoots.from_values(ring, [master], store=_store(None))
