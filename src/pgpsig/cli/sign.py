"""``pgpsig sign``: hash every file of each module into its ``module.sig`` and clear-sign it.

Parse, load the secret key, then one call of :func:`pgpsig.modules.sign.sign_modules` (all
modules or none are written), then one line (or one JSON document) per module signed.
"""

from pathlib import Path
from typing import Annotated

from pgpsig.cli import inputs
from pgpsig.cli.options import PASSPHRASE_ENV, Arg, Json, Opt, PassphraseEnv, choices, command
from pgpsig.cli.output import EXIT_OK, Exit, print_json, safe, usage

__all__ = ["sign"]


@command("", "sign")
def sign(
    key: Annotated[Path, Opt("--key", help="Secret key file (armored or binary).")],
    module_dirs: Annotated[
        list[Path] | None, Arg(help="The module directories to sign.", metavar="MODULE_DIR")
    ] = None,
    modules_dir: Annotated[
        Path | None,
        Opt("--modules-dir", help="Sign every module directory in DIR.", metavar="DIR"),
    ] = None,
    passphrase_file: Annotated[
        Path | None,
        Opt("--passphrase-file", help="File whose first line is the key's passphrase."),
    ] = None,
    passphrase_env: PassphraseEnv = PASSPHRASE_ENV,
    hash_name: Annotated[
        str | None,
        Opt(
            "--hash",
            metavar="NAME",
            help="Digest the signatures are made with (default: the key's best).",
            complete="pgpsig.modules.sign:SIGN_HASHES",
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        Opt(
            "--exclude",
            help="Files not to sign (repeatable), e.g. 'assets/less/cache/*'.",
            metavar="GLOB",
        ),
    ] = None,
    policy: Annotated[
        str,
        Opt(
            "--policy",
            metavar="NAME",
            help="Policy the signing key must satisfy.",
            complete="pgpsig.policy:PROFILES",
        ),
    ] = "default",
    as_json: Json = False,
) -> None:
    """Hash every file of each module into its module.sig and clear-sign it (sign.php format).

    Several modules are signed in one pass; if one cannot be signed, none is written.
    """
    from pgpsig.modules.sign import (
        SIGN_HASHES,
        load_signing_keys_apart,
        modules_to_sign,
        require_directories,
        sign_modules,
    )
    from pgpsig.report import iso

    now = inputs.now(None)
    pol = inputs.policy(policy)
    targets = list(module_dirs or [])
    if modules_dir is not None:
        targets += modules_to_sign(modules_dir)
    if not targets:
        usage("nothing to sign: give MODULE_DIR... or --modules-dir")
    if hash_name is not None and hash_name.upper().replace("-", "") not in SIGN_HASHES:
        *others, last = choices(SIGN_HASHES)
        usage(f"--hash {hash_name}: use {', '.join(others)} or {last}")
    require_directories(targets)
    data = inputs.read(key)
    keys = inputs.unlocked(
        lambda secret: load_signing_keys_apart(data, secret), passphrase_file, passphrase_env
    )
    results = sign_modules(
        targets,
        keys,
        now=now,
        secret_key_data=data,
        policy=pol,
        hash_name=hash_name,
        exclude=exclude or (),
    )
    if as_json:
        docs = [
            {
                "path": str(r.path),
                "signer": r.signer,
                "primary": r.primary,
                "files": r.files,
                "hash_algorithm": r.hash_algorithm,
                "created": iso(r.created),
            }
            for r in results
        ]
        single = modules_dir is None and len(docs) == 1
        print_json(docs[0] if single else {"modules": docs})
    else:
        for target, r in zip(targets, results, strict=True):
            print(
                f"signed {r.files} files of {safe(str(target))} with {r.signer} "
                f"({r.hash_algorithm}) -> {safe(str(r.path))}"
            )
    raise Exit(EXIT_OK)
