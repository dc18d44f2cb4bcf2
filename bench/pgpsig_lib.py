"""pgpsig through its library, in one process: what the benchmark measures next to the CLI.

    python bench/pgpsig_lib.py digest FILE...                 # digest_files, one line per file
    python bench/pgpsig_lib.py sign-all --key KEY MODULES_DIR # sign_module for every module
    python bench/pgpsig_lib.py sign-sha1 --key KEY --at TIME MODULES_DIR  # the same, SHA-1, at TIME

``digest`` is case (e)'s pure hashing figure: :func:`pgpsig.hashing.digest_files` in a fresh
process, with nothing else imported. ``sign-all`` signs every module directory of MODULES_DIR in
one process (the key is loaded once), as a multi-module ``pgpsig sign`` could; the benchmark also
uses it to sign its inputs. ``sign-sha1`` signs as FreePBX's mirrors do, with SHA-1 digests, at a
fixed ISO 8601 time (case (h)): pgpsig signs with SHA-2 only, so this process alone (and the workers
it forks) is let to sign with SHA-1 too, through pgpsig's own signing code (:func:`allow_sha1`).
Exit 0 on success, 1 when a file cannot be read or a module cannot be
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


def allow_sha1() -> None:
    """Let pgpsig's signing code sign with SHA-1 in this process (and the workers it forks).

    pgpsig never signs with SHA-1 (``pgpsig.openpgp.signing.SIGNING_HASHES``); every real FreePBX
    module.sig is SHA-1 signed, and case (h) needs such signatures of its own. The three tables
    that refuse it are widened here, in the bench's process only: the signature is made, framed
    and verified after signing by the very code of ``pgpsig sign``.
    """
    from cryptography.hazmat.primitives import hashes  # noqa: PLC0415

    from pgpsig.modules import sign  # noqa: PLC0415
    from pgpsig.openpgp import signing  # noqa: PLC0415
    from pgpsig.openpgp.ids import HashAlgorithm  # noqa: PLC0415

    signing.SIGNING_HASHES["SHA1"] = HashAlgorithm.SHA1
    signing._HASH_CLASSES["SHA1"] = hashes.SHA1  # noqa: SLF001 - the bench's process only
    if "SHA1" not in sign.SIGN_HASHES:
        sign.SIGN_HASHES = (*sign.SIGN_HASHES, "SHA1")


def sign_all_sha1(key: Path, at: str, modules_dir: Path) -> int:
    """``sign-all`` with SHA-1 at the fixed time ``at``: byte-identical output from run to run
    (with the same key: EdDSA signatures are deterministic)."""
    from datetime import datetime  # noqa: PLC0415

    from pgpsig.errors import PgpsigError  # noqa: PLC0415
    from pgpsig.modules.sign import load_signing_keys_apart, sign_modules  # noqa: PLC0415

    allow_sha1()
    now = datetime.fromisoformat(at)
    if now.tzinfo is None:
        print("pgpsig_lib: --at needs a time zone", file=sys.stderr)
        return 2
    data = key.read_bytes()
    keys = load_signing_keys_apart(data, None)
    modules = sorted(p for p in modules_dir.iterdir() if p.is_dir())
    try:
        sign_modules(modules, keys, now=now, secret_key_data=data, hash_name="SHA1")
    except PgpsigError as e:
        print(f"pgpsig_lib: {e}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "digest":
        return digest(argv[1:])
    if len(argv) == 4 and argv[0] == "sign-all" and argv[1] == "--key":
        from pathlib import Path  # noqa: PLC0415 - not imported by digest: see there

        return sign_all(Path(argv[2]), Path(argv[3]))
    if len(argv) == 6 and argv[0] == "sign-sha1" and argv[1] == "--key" and argv[3] == "--at":
        from pathlib import Path  # noqa: PLC0415

        return sign_all_sha1(Path(argv[2]), argv[4], Path(argv[5]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
