"""pgpsig through its library, in one process: what the benchmark measures next to the CLI.

    python bench/pgpsig_lib.py digest FILE...                 # digest_files, one line per file
    python bench/pgpsig_lib.py sign-all --key KEY MODULES_DIR # sign_module for every module

``digest`` is case (e)'s pure hashing figure: :func:`pgpsig.hashing.digest_files` in a fresh
process, with nothing else imported. ``sign-all`` signs every module directory of MODULES_DIR in
one process (the key is loaded once), as a multi-module ``pgpsig sign`` could; the benchmark also
uses it to sign its inputs. Exit 0 on success, 1 when a file cannot be read or a module cannot be
signed, 2 on a usage error.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


def digest(files: list[str]) -> int:
    from pgpsig.hashing import digest_files  # noqa: PLC0415 - import only what is measured

    status = 0
    out = []
    for name, d in zip(files, digest_files(files), strict=True):  # str paths: no pathlib import
        if isinstance(d, OSError):
            print(f"pgpsig_lib: {name}: {d.strerror or d}", file=sys.stderr)
            status = 1
        else:
            out.append(f"{d.hexdigest}  {name}\n")
    sys.stdout.write("".join(out))
    return status


def sign_all(key: Path, modules_dir: Path) -> int:
    from datetime import datetime, timezone  # noqa: PLC0415 - import only what is measured

    from pgpsig.errors import PgpsigError  # noqa: PLC0415
    from pgpsig.modules.sign import load_signing_keys_apart, sign_module  # noqa: PLC0415

    data = key.read_bytes()
    keys = load_signing_keys_apart(data, None)  # as pgpsig.load_signing_keys: PGPy stays apart
    now = datetime.now(timezone.utc)
    for module in sorted(p for p in modules_dir.iterdir() if p.is_dir()):
        try:
            sign_module(module, keys, now=now, secret_key_data=data)
        except PgpsigError as e:
            print(f"pgpsig_lib: {module.name}: {e}", file=sys.stderr)
            return 1
    return 0


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "digest":
        return digest(argv[1:])
    if len(argv) == 4 and argv[0] == "sign-all" and argv[1] == "--key":
        from pathlib import Path  # noqa: PLC0415 - not imported by digest: see there

        return sign_all(Path(argv[2]), Path(argv[3]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
