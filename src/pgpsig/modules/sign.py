"""Sign a module: the use case behind ``pgpsig sign`` and :func:`sign_module`.

Steps:

1. Choose the signing key: the newest subkey flagged for signing whose binding is valid now, else
   the primary; the key must be valid, alive, unrevoked and allowed to sign at ``now`` under the
   policy (:mod:`pgpsig.engine.signer`), so pgpsig never makes a signature it would itself refuse.
2. Walk the module the way FreePBX's ``sign.php`` does (:func:`pgpsig.modules.tree.walk_module`), minus
   ``exclude`` globs (generated files, the cause of FreePBX's false tamper alarms). A symbolic link
   leaving the module, a loop, a dangling link or a special file stops the signing.
3. Hash every file (SHA-256, streaming, parallel).
4. Render the manifest byte-for-byte as ``sign.php`` v2 does (:func:`pgpsig.modules.manifest.render`).
5. Clear-sign it with the key's best hash (SHA-256 or stronger), signature type 0x01.
6. Write ``module.sig`` atomically (a temporary file in the module directory, fsync, rename); with
   several modules, every temporary file is written before the first rename.

:func:`sign_modules` signs many modules in one pass (one walk each, one parallel hashing pass for
all their files, nothing written unless every module can be signed).

Example::

    keys = load_signing_keys(Path("dev.sec.asc").read_bytes(), passphrase=b"...")
    result = sign_module(Path("modules/mymodule"), keys, now=datetime.now(timezone.utc))
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

from pgpsig import fanout, fsutil
from pgpsig._dataclass import dataclass
from pgpsig.certs.keyring import read_certs
from pgpsig.engine.signer import choose_signing_key
from pgpsig.errors import InputError, PgpsigError, not_a_directory
from pgpsig.hashing import FileDigest, digest_files
from pgpsig.modules.manifest import render
from pgpsig.modules.tree import Tree, walk_module
from pgpsig.openpgp.packets import Cert
from pgpsig.openpgp.secretkey import load_signing_keys
from pgpsig.openpgp.signing import sign_cleartext
from pgpsig.openpgp.signingkey import SigningKey, best_hash, pack, unpack
from pgpsig.policy import Policy, policy_named
from pgpsig.workers import fork_is_safe

__all__ = [
    "SIGN_HASHES",
    "SignResult",
    "modules_to_sign",
    "require_directories",
    "sign_module",
    "sign_modules",
]

#: The digests a ``module.sig`` is signed with (``hash_name``, ``pgpsig sign --hash``).
SIGN_HASHES = ("SHA256", "SHA384", "SHA512")

#: Least work, in files (plus :data:`_MODULE_WEIGHT` a module), for which the modules are
#: hashed, rendered and signed by forked workers (:mod:`pgpsig.fanout`: several when the work
#: spreads, else one), so that this process never holds a big module's file list, digests or
#: texts (framework, 8,109 files: 43 MiB peak RSS here, 35.7 MiB in a worker); below it, in this
#: process with the files of every module hashed in one :func:`digest_files` call.
_FANOUT_MIN_FILES = 2000
#: Fixed work of one module (walk, render, sign) in files that take as long to hash.
_MODULE_WEIGHT = 20


@dataclass(frozen=True, slots=True, kw_only=True)
class SignResult:
    """What was signed: where, by which key, how many files, with which hash."""

    path: Path
    signer: str
    primary: str
    files: int
    hash_algorithm: str
    created: datetime


def _new_staged(path: Path) -> fsutil.Staged:
    """An empty temporary file beside ``path`` (:class:`pgpsig.fsutil.Staged`); ``path`` unchanged.

    Raises:
        InputError: it cannot be made (``path`` is a directory, no permission).
    """
    if path.is_dir() and not path.is_symlink():  # a rename over it would fail when committed
        raise InputError(f"cannot write {path}: it is a directory")
    return fsutil.Staged(path)


def _stage(path: Path, data: bytes) -> fsutil.Staged:
    """``data`` written to a temporary file beside ``path`` and fsync'ed; ``path`` is unchanged.

    Raises:
        InputError: it cannot be written (``path`` is a directory, no space, no permission);
            nothing is left behind.
    """
    staged = _new_staged(path)
    staged.write(data)
    staged.flush()
    return staged


def _write_all(outputs: Sequence[tuple[Path, bytes]]) -> None:
    """Write every file atomically and, as far as the filesystem allows, all or none of them.

    First each file's bytes go to a temporary file beside it (:func:`_stage`: mode 0644, fsync);
    if any of those fails, every temporary file is removed and nothing is replaced. Then each one
    is committed (:func:`_commit_all`).

    Raises:
        InputError: a file cannot be written (nothing replaced), or a rename failed.
    """
    staged: list[fsutil.Staged] = []
    try:
        for path, data in outputs:
            staged.append(_stage(path, data))
    except BaseException:
        for st in staged:
            st.discard()
        raise
    _commit_all(staged)


def _commit_all(staged: Sequence[fsutil.Staged]) -> None:
    """Rename every staged file over its target, in order (each directory fsync'ed).

    A rename cannot fail for want of space; if one fails anyway, the rest are discarded and the
    error names the files already replaced.

    Raises:
        InputError: a rename failed.
    """
    done: list[Path] = []
    for i, st in enumerate(staged):
        try:
            st.commit()
        except InputError as e:
            for rest in staged[i + 1 :]:
                rest.discard()
            written = (
                f" ({len(done)} already replaced: {', '.join(map(str, done))})" if done else ""
            )
            raise InputError(f"{e}{written}") from e
        done.append(st.path)


def sign_module(
    module_dir: Path,
    keys: Sequence[SigningKey],
    *,
    now: datetime,
    secret_key_data: bytes | None = None,
    cert: Cert | None = None,
    policy: Policy | None = None,
    hash_name: str | None = None,
    exclude: Sequence[str] = (),
    signedwith: str | None = None,
) -> SignResult:
    """Sign the module at ``module_dir``; see the module docstring for the steps.

    The certificate of ``keys`` is ``cert``, or read from ``secret_key_data`` (the secret key file
    the keys came from).

    Raises:
        InputError: the module cannot be read or ``module.sig`` cannot be written, or it holds a
            link that leaves it, a loop, a dangling link or a special file.
        CertificateError: no key may sign now.
        PolicyError: the key is too weak for the policy.
        ValueError: ``now`` is naive, or ``hash_name`` is weaker than SHA-256.
    """
    return sign_modules(
        [module_dir],
        keys,
        now=now,
        secret_key_data=secret_key_data,
        cert=cert,
        policy=policy,
        hash_name=hash_name,
        exclude=exclude,
        signedwith=signedwith,
    )[0]


def sign_modules(
    module_dirs: Sequence[Path],
    keys: Sequence[SigningKey],
    *,
    now: datetime,
    secret_key_data: bytes | None = None,
    cert: Cert | None = None,
    policy: Policy | None = None,
    hash_name: str | None = None,
    exclude: Sequence[str] = (),
    signedwith: str | None = None,
) -> list[SignResult]:
    """Sign several modules with one key, as :func:`sign_module` signs one, in one pass.

    Every module is walked and checked before any file is hashed, and every module is hashed,
    rendered, signed and staged (its new ``module.sig`` in a temporary file beside the old one)
    before any ``module.sig`` is replaced: a module that cannot be signed stops the whole run with
    nothing replaced and no temporary file left. With enough work (:data:`_FANOUT_MIN_FILES`),
    whole modules go to forked workers (:mod:`pgpsig.fanout`; one or more, :func:`_plan`), which
    fill the temporary files (this process holds none of the texts); otherwise the files of every
    module are hashed here in one parallel pass. Then each ``module.sig`` is replaced atomically,
    in the order given. Modules may not be given twice or nest (the outer one would list the inner
    one's old ``module.sig``).

    Raises:
        InputError, CertificateError, PolicyError, ValueError: as :func:`sign_module`; InputError
            also for a module given twice or inside another one.
        PgpsigError: a worker process died (killed, out of memory): nothing replaced, no
            temporary file left.
    """
    if now.tzinfo is None:
        raise ValueError("now must be a timezone-aware datetime")
    policy = policy or policy_named("default")
    if cert is None:
        if secret_key_data is None:
            raise ValueError("give the certificate or the secret key data")
        certs = read_certs(secret_key_data, source="secret key")
        if len(certs) != 1:
            raise InputError("the secret key file must hold exactly one key")
        cert = certs[0]
    _refuse_nesting(module_dirs)
    # (1)
    key = choose_signing_key(keys, cert, policy=policy, now=now)
    algo = (hash_name or best_hash(key)).upper().replace("-", "")
    if algo not in SIGN_HASHES:
        raise ValueError(f"hash must be one of {', '.join(SIGN_HASHES)}, not {hash_name}")
    # (2)
    trees = []
    for module_dir in module_dirs:
        tree = walk_module(module_dir, exclude=exclude)
        problems = [
            *(f"{p}: symbolic link leaves the module" for p in tree.escaping),
            *(f"{p}: symbolic link loop" for p in tree.loops),
            *(f"{p}: dangling symbolic link" for p in tree.dangling),
            *(f"{p}: not a regular file" for p in tree.special),
        ]
        if problems:
            raise InputError(
                f"refusing to sign {module_dir}: {problems[0]}"
                + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
            )
        trees.append(tree)
    # (3)-(5)
    label = signedwith or cert.primary.key_id
    units = list(zip(module_dirs, trees, strict=True))

    fan = _plan([len(t.files) + _MODULE_WEIGHT for t in trees])
    if fan is not None:
        # The temporary files are made here, before the workers start, and filled by them: this
        # process knows every one of them, so any failure (a module that cannot be signed, a
        # worker killed, Ctrl-C) discards them all, and it never holds the texts.
        staged: list[fsutil.Staged] = []

        def one(i: int) -> PgpsigError | None:
            """In a fanout's worker: module ``i`` hashed, rendered, signed, its module.sig filled.

            Returns the error that stopped it, if any (every task runs to its end).
            """
            module_dir, tree = units[i]
            try:
                digests = digest_files([module_dir / f for f in tree.files], workers=1)
                data = _render_and_sign(
                    module_dir, tree, digests, key=key, algo=algo, signedwith=label, now=now
                )
                staged[i].fill(data)
            except PgpsigError as e:
                return e
            return None

        try:
            for module_dir, _tree in units:
                staged.append(_new_staged(module_dir / "module.sig"))
                staged[-1].detach()
            failed = [e for e in fanout.run(one, len(units), *fan, what="signing modules") if e]
            if failed:
                raise failed[0]
        except BaseException:
            for st in staged:
                st.discard()
            raise
        _commit_all(staged)
    else:
        digests = digest_files([d / f for d, t in units for f in t.files])
        signed = []
        start = 0
        for module_dir, tree in units:
            stop = start + len(tree.files)
            signed.append(
                _render_and_sign(
                    module_dir,
                    tree,
                    digests[start:stop],
                    key=key,
                    algo=algo,
                    signedwith=label,
                    now=now,
                )
            )
            start = stop
        # (6)
        _write_all([(d / "module.sig", data) for (d, _t), data in zip(units, signed, strict=True)])
    results = []
    for module_dir, tree in units:
        results.append(
            SignResult(
                path=module_dir / "module.sig",
                signer=key.fingerprint,
                primary=cert.fingerprint,
                files=len(tree.files),
                hash_algorithm=algo,
                created=now,
            )
        )
    return results


def _plan(weights: list[int]) -> tuple[int, list[list[int]]] | None:
    """(workers, groups of modules) that sign the modules of ``weights``, or None: here.

    :func:`pgpsig.fanout.plan` when the work spreads over several workers; otherwise, with at
    least :data:`_FANOUT_MIN_FILES` of work where a process may be forked, one worker for every
    module (one big module, or one holding most of the work; it hashes its files one after the
    other, about as fast as a parallel pass here, where render and sign are the rest).
    """
    fan = fanout.plan(weights, min_total=_FANOUT_MIN_FILES)
    if fan is None and sum(weights) >= _FANOUT_MIN_FILES and fork_is_safe():
        fan = (1, [list(range(len(weights)))])
    return fan


def _render_and_sign(
    module_dir: Path,
    tree: Tree,
    digests: Sequence[FileDigest | OSError],
    *,
    key: SigningKey,
    algo: str,
    signedwith: str,
    now: datetime,
) -> bytes:
    """Steps 4-5 for one module: its manifest from the digests of its files, clear-signed."""
    entries: list[tuple[str, str]] = []
    for rel, d in zip(tree.files, digests, strict=True):
        if isinstance(d, OSError):
            raise InputError(f"cannot read {module_dir / rel}: {d.strerror or d}")
        entries.append((rel, d.hexdigest))
    body = render(entries, signedwith=signedwith)
    return sign_cleartext(body, key, created=now, hash_name=algo)


def load_signing_keys_apart(data: bytes, passphrase: bytes | None) -> tuple[SigningKey, ...]:
    """:func:`pgpsig.openpgp.secretkey.load_signing_keys` in a forked process of its own.

    Unlocking a v4 key imports PGPy (about 5 MiB of modules). Done apart, PGPy never enters this
    process, nor the workers it forks to sign modules (a forked worker's RSS starts at its
    parent's): the unlocked keys come back through a pipe (:func:`pgpsig.openpgp.signingkey.pack`),
    never through a file. Where no process can be forked, the keys are loaded here.

    Raises:
        as :func:`pgpsig.openpgp.secretkey.load_signing_keys` (PassphraseError included).
    """
    packed = fanout.call_apart(
        lambda: [pack(k) for k in load_signing_keys(data, passphrase)],
        what="loading the secret key",
    )
    return tuple(unpack(p) for p in packed)


def require_directories(module_dirs: Iterable[Path]) -> None:
    """Refuse, before anything is read or asked for, a module that is not a directory.

    Raises:
        InputError: one of ``module_dirs`` is missing, a file or a dangling link
            (:func:`~pgpsig.errors.not_a_directory`).
    """
    for d in module_dirs:
        if not d.is_dir():
            raise not_a_directory(d)


def modules_to_sign(modules_dir: Path) -> list[Path]:
    """The module directories of ``--modules-dir DIR``: its subdirectories, in bytewise order.

    Names starting with ``.`` (``.git``) are not modules. A symbolic link is refused: signing
    through it would write a ``module.sig`` outside DIR; name its target to sign it.

    Raises:
        InputError: ``modules_dir`` is not a directory, or one of its modules is a symbolic link.
    """
    if not modules_dir.is_dir():
        raise not_a_directory(modules_dir)
    out = []
    for p in sorted(modules_dir.iterdir()):
        if p.name.startswith(".") or not p.is_dir():
            continue
        if p.is_symlink():
            raise InputError(
                f"{p} is a symbolic link: signing it would write outside {modules_dir}; "
                "name its target as a MODULE_DIR to sign it"
            )
        out.append(p)
    return out


def _refuse_nesting(module_dirs: Sequence[Path]) -> None:
    """InputError if a module is given twice or lies inside another one (links resolved)."""
    # In component order a directory comes right before the first directory inside it.
    real = sorted((Path(os.path.realpath(d)).parts, str(d)) for d in module_dirs)
    for (outer, shown_outer), (inner, shown_inner) in itertools.pairwise(real):
        if inner == outer:
            raise InputError(f"{shown_inner}: module given twice")
        if inner[: len(outer)] == outer:
            raise InputError(f"{shown_inner}: module inside module {shown_outer}")
