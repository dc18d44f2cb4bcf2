"""pgpsig.fsutil: a device or FIFO named as the output is written into, never replaced."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

from pgpsig import fsutil


def _read_fifo(path: Path, got: list[bytes]) -> threading.Thread:
    def run() -> None:
        with path.open("rb") as fp:
            got.append(fp.read())

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_a_fifo_and_a_link_to_it_stay_what_they_are(tmp_path: Path) -> None:
    fifo = tmp_path / "out"
    os.mkfifo(fifo)
    link = tmp_path / "link"
    link.symlink_to(fifo)
    for target in (fifo, link):
        got: list[bytes] = []
        reader = _read_fifo(fifo, got)
        fsutil.atomic_write(target, b"data for " + target.name.encode())
        reader.join(timeout=10)
        assert got == [b"data for " + target.name.encode()]
        assert stat.S_ISFIFO(fifo.lstat().st_mode) and link.is_symlink()
    # Nothing was staged beside it (the stage of a device is the temporary directory).
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "out"]


def test_a_regular_file_is_still_replaced_atomically(tmp_path: Path) -> None:
    out = tmp_path / "f"
    out.write_bytes(b"old")
    inode = out.stat().st_ino
    fsutil.atomic_write(out, b"new")
    assert out.read_bytes() == b"new" and out.stat().st_ino != inode
