"""Module tree walk (sign.php rules) and safe resolution of listed paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pgpsig.errors import InputError
from pgpsig.modules.tree import excluded, resolve_inside, walk_module, walk_would_list


def make(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)


def test_sign_php_order_and_dotfiles(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "module.xml": b"",
            "Zeta.php": b"",
            "alpha.php": b"",
            "Api.class.php": b"",
            "assets/js/x.js": b"",
            "assets.php": b"",
            "foo/bar": b"",
            "foo.php": b"",
            ".htaccess": b"",
            "node/.hidden/x": b"",
            "module.sig": b"",
            "sub/module.sig": b"",
            "-lead.php": b"",
        },
    )
    t = walk_module(tmp_path)
    assert t.files == (
        "-lead.php",
        "Api.class.php",
        "Zeta.php",
        "alpha.php",
        "assets/js/x.js",
        "assets.php",
        "foo/bar",
        "foo.php",
        "module.xml",
        "sub/module.sig",
    )


def test_excludes(tmp_path: Path) -> None:
    make(tmp_path, {"a.php": b"", "assets/less/cache/x.css": b"", "i18n/de/x.po": b""})
    t = walk_module(tmp_path, exclude=["assets/less/cache/*", "i18n"])
    assert t.files == ("a.php",)
    assert excluded("node/node_modules/x/y.js", ["node/node_modules"])
    assert not excluded("a.php", [])


def test_symlinks_inside_followed_escaping_loops_dangling_reported(tmp_path: Path) -> None:
    mod = tmp_path / "mod"
    make(mod, {"real/f.txt": b"x", "g.txt": b"y"})
    (tmp_path / "outside.txt").write_bytes(b"secret")
    os.symlink("real", mod / "linkdir")
    os.symlink("g.txt", mod / "link.txt")
    os.symlink("../outside.txt", mod / "escape.txt")
    os.symlink("/etc", mod / "etc")
    os.symlink("missing", mod / "dangling")
    os.symlink(".", mod / "real" / "loop")
    t = walk_module(mod)
    assert "linkdir/f.txt" in t.files
    assert "link.txt" in t.files
    assert set(t.escaping) == {"escape.txt", "etc"}
    assert t.dangling == ("dangling",)
    assert t.loops == ("real/loop",) or "linkdir/loop" in t.loops
    assert not any(f.startswith("etc/") for f in t.files)


def test_resolve_inside(tmp_path: Path) -> None:
    mod = tmp_path / "mod"
    make(mod, {"a/b.txt": b"x"})
    (tmp_path / "outside.txt").write_bytes(b"secret")
    os.symlink("../outside.txt", mod / "escape.txt")
    os.symlink("a", mod / "alias")
    assert resolve_inside(mod, "a/b.txt").path == (mod / "a" / "b.txt").resolve()
    r = resolve_inside(mod, "alias/b.txt")
    assert r.path is not None
    assert r.via_symlink
    assert resolve_inside(mod, "escape.txt").problem == "escapes"
    assert resolve_inside(mod, "nope.txt").problem == "missing"
    assert resolve_inside(mod, "a").problem == "not-a-file"
    assert resolve_inside(mod, "a/b.txt/c").problem == "missing"


def test_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        walk_module(tmp_path / "nope")
    (tmp_path / "f").write_bytes(b"")
    with pytest.raises(InputError):
        walk_module(tmp_path / "f")


def test_fifo_is_special_not_hashed(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "a").write_bytes(b"")
    t = walk_module(tmp_path)
    assert t.files == ("a",)
    assert t.special == ("pipe",)


def test_resolve_inside_fast_path_agrees_with_portable_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pgpsig.modules import tree

    mod = tmp_path / "mod"
    make(mod, {"a/b.txt": b"x", "c.txt": b"y", "a/d/e.txt": b"z"})
    (tmp_path / "outside.txt").write_bytes(b"secret")
    os.symlink("../outside.txt", mod / "escape.txt")
    os.symlink("/nonexistent/far", mod / "dangling-out")
    os.symlink("nope", mod / "dangling-in")
    os.symlink("a", mod / "alias")
    os.symlink("c.txt", mod / "a" / "back")
    os.symlink(".", mod / "a" / "self")
    os.symlink("loop", mod / "loop")
    os.mkfifo(mod / "fifo")
    rels = [
        "a/b.txt",
        "c.txt",
        "a/d/e.txt",
        "escape.txt",
        "dangling-out",
        "dangling-in",
        "alias/b.txt",
        "a/back",
        "a/self/b.txt",
        "loop",
        "fifo",
        "a",
        "nope",
        "c.txt/x",
    ]
    bases = [mod, tmp_path / "link-to-mod"]
    os.symlink("mod", bases[1])
    if hasattr(os, "O_PATH") and os.path.isdir("/proc/self/fd"):
        assert tree._resolve_fast(str(mod), str(mod / "a" / "b.txt"), ["a", "b.txt"]) is not None
    fast = [resolve_inside(b, r) for b in bases for r in rels]
    monkeypatch.setattr(tree, "_resolve_fast", lambda *a: None)
    portable = [resolve_inside(b, r) for b in bases for r in rels]
    assert fast == portable


def test_walk_would_list_states_the_walks_rules(tmp_path: Path) -> None:
    """walk_would_list(rel) is True exactly for the regular files walk_module lists."""
    names = [
        "a.php", "module.sig", "sub/module.sig", ".htaccess", "sub/.hidden", ".dir/x.php",
        "sub/.dir/y.php", "sub/deep/z.txt", "x.y/z", "-dash.php",
    ]  # fmt: skip
    for rel in names:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x\n")
    listed = set(walk_module(tmp_path).files)
    assert listed == {"a.php", "sub/module.sig", "sub/deep/z.txt", "x.y/z", "-dash.php"}
    for rel in names:
        assert walk_would_list(rel) == (rel in listed), rel
    assert not walk_would_list("/etc/passwd")
    # Dot-files walked too (check's walk for unlisted files, issue #14).
    everything = set(walk_module(tmp_path, skip_dotfiles=False).files)
    assert everything == set(names) - {"module.sig"}
    for rel in names:
        assert walk_would_list(rel, skip_dotfiles=False) == (rel in everything), rel


def test_order_is_bytewise_with_names_that_are_not_ascii(tmp_path: Path) -> None:
    """Non-ASCII and undecodable names: the order of their bytes, as sign.php's scandir."""
    raw = [b"z.php", b"\xc3\xa9t\xc3\xa9.php", b"\xef\xbc\xa1.php", b"\xff.php", b"a.php"]
    for name in raw:
        (tmp_path / os.fsdecode(name)).write_bytes(b"")
    t = walk_module(tmp_path)
    assert [os.fsencode(f) for f in t.files] == sorted(raw)


def test_a_dangling_link_out_of_the_module_is_dangling(tmp_path: Path) -> None:
    """A link to an absolute path that does not exist (a moved install) points at nothing."""
    mod = tmp_path / "mod"
    make(mod, {"a.php": b""})
    os.symlink("/nonexistent/spool/pms", mod / "pms_data")
    os.symlink(tmp_path / "gone", mod / "gone")
    t = walk_module(mod)
    assert set(t.dangling) == {"pms_data", "gone"} and t.escaping == ()
    assert resolve_inside(mod, "pms_data").problem == "missing"


def test_behind_names_every_file_reached_through_a_link(tmp_path: Path) -> None:
    """``Tree.behind`` is what the check trusts to skip resolving a listed file: every file the walk
    reached through a link (to a file, or below a linked directory, however deep, in a plain
    directory below a linked one too) is in it, and no other file."""
    make(tmp_path, {"real/a.php": b"", "real/sub/b.php": b"", "top.php": b"", "d/c.php": b""})
    os.symlink("real", tmp_path / "linked")
    os.symlink("top.php", tmp_path / "alias.php")
    os.symlink("../real/sub", tmp_path / "d" / "sublink")
    t = walk_module(tmp_path)
    assert set(t.files) == {
        "alias.php", "d/c.php", "d/sublink/b.php", "linked/a.php", "linked/sub/b.php",
        "real/a.php", "real/sub/b.php", "top.php",
    }  # fmt: skip
    assert t.behind == {"alias.php", "d/sublink/b.php", "linked/a.php", "linked/sub/b.php"}
    # With only: the same answer for the directories entered.
    only = walk_module(tmp_path, only=frozenset({"linked", "linked/sub", "real"}))
    assert set(only.files) == {"alias.php", "linked/a.php", "linked/sub/b.php", "real/a.php",
                               "top.php"}  # fmt: skip
    assert only.behind == {"alias.php", "linked/a.php", "linked/sub/b.php"}


def test_a_link_to_an_ancestor_is_a_loop_at_any_depth(tmp_path: Path) -> None:
    make(tmp_path, {"a/b/c/x.php": b""})
    os.symlink("../..", tmp_path / "a" / "b" / "c" / "up")  # to a
    os.symlink(str(tmp_path), tmp_path / "a" / "root")  # to the module root, absolute
    os.symlink(".", tmp_path / "a" / "b" / "self")
    t = walk_module(tmp_path)
    assert set(t.loops) == {"a/b/c/up", "a/root", "a/b/self"}
    assert t.files == ("a/b/c/x.php",)
