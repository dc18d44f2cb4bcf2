"""Prototype of a multi-module ``pgpsig sign``, measured by ``bench/experiments.py``.

    python bench/proto_sign.py --key KEY [--no-fsync] MODULES_DIR

Signs every module directory of MODULES_DIR as :func:`pgpsig.sign.sign_module` does (same key
choice, walk, manifest, clear-signature and atomic write), but with the files of *all* modules
hashed in one :func:`pgpsig.hashing.digest_files` call, so that the process pool works for the
whole install instead of only for the modules big enough to start one. ``--no-fsync`` leaves out
the ``fsync`` of each ``module.sig`` (gpg and FreePBX's sign.php do not sync either).
Uses a private helper of :mod:`pgpsig.sign` (``_write_atomically``): a prototype only.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime, timezone
from pathlib import Path

from pgpsig import sign
from pgpsig.hashing import digest_files
from pgpsig.keyring import read_certs
from pgpsig.manifest import render
from pgpsig.policy import policy_named
from pgpsig.signing import best_hash, load_signing_keys, sign_cleartext
from pgpsig.tree import walk_module


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[0] != "--key":
        print(__doc__, file=sys.stderr)
        return 2
    data = Path(argv[1]).read_bytes()
    if "--no-fsync" in argv:
        os.fsync = lambda fd: None  # type: ignore[assignment]
    modules_dir = Path(argv[-1])
    keys = load_signing_keys(data)
    cert = read_certs(data, source="secret key")[0]
    now = datetime.now(timezone.utc)
    key = sign.choose_signing_key(keys, cert, policy=policy_named("default"), now=now)
    algo = best_hash(key).upper().replace("-", "")
    modules = sorted(p for p in modules_dir.iterdir() if p.is_dir())
    trees = [walk_module(m) for m in modules]
    paths = [m / f for m, t in zip(modules, trees, strict=True) for f in t.files]
    digests = iter(digest_files(paths))
    for m, t in zip(modules, trees, strict=True):
        if t.escaping or t.loops or t.dangling or t.special:
            print(f"proto_sign: refusing to sign {m.name}", file=sys.stderr)
            return 1
        entries = []
        for rel in t.files:
            d = next(digests)
            if isinstance(d, OSError):
                print(f"proto_sign: cannot read {m / rel}", file=sys.stderr)
                return 1
            entries.append((rel, d.hexdigest))
        body = render(entries, signedwith=cert.primary.key_id)
        sign._write_atomically(
            m / "module.sig", sign_cleartext(body, key, created=now, hash_name=algo)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
