"""pgpsig's CLI with SHA-1 signature digests computed without collision detection: case (h)'s
"today" row, the check as it was before every SHA-1 digest went through ``pgpsig.openpgp.sha1dc``.

    python bench/sha1_plain.py check ...     # the same arguments as `pgpsig check ...`
    python bench/sha1_plain.py --selftest    # exit 0 when every binding of new_hash is replaced

pgpsig has no switch to leave collision detection out, and must not get one. This wrapper, in its
own process only (and in the workers that process forks), replaces
``pgpsig.openpgp.signature.new_hash`` before any other pgpsig module is imported, so that a SHA-1
digest is a plain :func:`hashlib.sha1`; every other hash, and everything else, is pgpsig's own
code. The modules that import ``new_hash`` by name (``packets``, ``verify``, ``message``) are
imported after the replacement and bind it; ``--selftest`` checks that they did. This is a
benchmark's baseline only: it accepts SHA-1 collision attacks.
"""

from __future__ import annotations

import hashlib
import sys
from typing import Any

from pgpsig.openpgp import signature
from pgpsig.openpgp.ids import HashAlgorithm

_detecting = signature.new_hash


def plain_new_hash(version: int, hash_algorithm: int, salt: bytes = b"") -> Any:
    """``signature.new_hash`` with a plain hashlib SHA-1 for SHA-1 (v6: salted first)."""
    if hash_algorithm != HashAlgorithm.SHA1:
        return _detecting(version, hash_algorithm, salt)
    h = hashlib.sha1()  # noqa: S324 - the baseline without collision detection, by design
    if version == 6:
        h.update(salt)
    return h


signature.new_hash = plain_new_hash  # before anything else of pgpsig binds it


def selftest() -> int:
    """0 when every pgpsig module holding ``new_hash`` holds the plain one and SHA-1 is plain."""
    import importlib  # noqa: PLC0415

    names = ("pgpsig.openpgp.packets", "pgpsig.verify", "pgpsig.openpgp.message", "pgpsig.cli")
    for name in names:
        importlib.import_module(name)
    stale = sorted(
        name
        for name, module in list(sys.modules.items())
        if name.startswith("pgpsig") and getattr(module, "new_hash", None) is _detecting
    )
    h = signature.new_hash(4, HashAlgorithm.SHA1)
    if stale or type(h) is not type(hashlib.sha1()):  # noqa: S324
        print(
            f"sha1_plain: still detecting: {', '.join(stale) or type(h).__name__}", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--selftest"]:
        sys.exit(selftest())
    from pgpsig.cli import main

    sys.argv[0] = "pgpsig"
    main()
