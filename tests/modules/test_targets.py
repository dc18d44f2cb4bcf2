"""Which modules a command works on: ``check``'s targets and ``sign --modules-dir``'s modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgpsig.errors import InputError
from pgpsig.modules.check import module_targets
from pgpsig.modules.sign import modules_to_sign


def tree(base: Path, *dirs: str) -> Path:
    for d in dirs:
        (base / d).mkdir(parents=True)
    return base


def test_targets_named_modules_then_a_modules_dir(tmp_path: Path) -> None:
    mods = tree(tmp_path / "mods", "b", "B", "a", ".git")
    (mods / "file.txt").write_bytes(b"not a module")
    one = tree(tmp_path, "one")
    (tmp_path / "link").symlink_to(one / "one")
    got = module_targets([one / "one", tmp_path / "link"], mods)
    assert got == [
        ("one", one / "one"),
        ("one", tmp_path / "link"),  # a named module is named by its target
        (".git", mods / ".git"),
        ("B", mods / "B"),
        ("a", mods / "a"),
        ("b", mods / "b"),
    ]


def test_targets_none(tmp_path: Path) -> None:
    assert module_targets([], None) == []
    assert module_targets([], tree(tmp_path, "empty") / "empty") == []


def test_targets_modules_dir_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError) as e:
        module_targets([], tmp_path / "nope")
    assert str(e.value) == f"{tmp_path / 'nope'}: no such directory"


def test_targets_module_not_a_directory(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"")
    with pytest.raises(InputError) as e:
        module_targets([tmp_path / "f"], None)
    assert str(e.value) == f"{tmp_path / 'f'} is a file, not a directory"
    (tmp_path / "gone").symlink_to(tmp_path / "nothing")
    with pytest.raises(InputError) as e:
        module_targets([], tmp_path / "gone")
    assert str(e.value) == f"{tmp_path / 'gone'}: a symbolic link to nothing, not a directory"


def test_modules_to_sign(tmp_path: Path) -> None:
    mods = tree(tmp_path, "b", "a", ".git", "B")
    (mods / "file.txt").write_bytes(b"")
    assert modules_to_sign(mods) == [mods / "B", mods / "a", mods / "b"]


def test_modules_to_sign_refuses_a_link(tmp_path: Path) -> None:
    mods = tree(tmp_path / "mods", "a")
    (mods / "l").symlink_to(tree(tmp_path, "elsewhere") / "elsewhere")
    with pytest.raises(InputError) as e:
        modules_to_sign(mods)
    assert str(e.value) == (
        f"{mods / 'l'} is a symbolic link: signing it would write outside {mods}; "
        "name its target as a MODULE_DIR to sign it"
    )


def test_modules_to_sign_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError) as e:
        modules_to_sign(tmp_path / "nope")
    assert str(e.value) == f"{tmp_path / 'nope'}: no such directory"
