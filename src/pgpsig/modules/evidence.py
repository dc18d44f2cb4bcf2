"""One module's evidence for ``pgpsig check``: steps 1-6 of :mod:`pgpsig.modules.check` for one module.

This module owns how the evidence of one module is gathered, in two halves around the hashing of
its files: :func:`prepare` reads and judges ``module.sig`` (steps 1-3), reads the signed manifest
(step 4), walks the module and resolves every listed file to the place it is installed (steps 5-6,
up to the hashing); :func:`finish` turns the digests into the findings and hands everything to
:func:`pgpsig.modules.verdict.module_verdict`, which decides. How modules are spread over processes
and batched for hashing is :mod:`pgpsig.modules.check`'s. Nothing here prints or reads the clock.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Container, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pgpsig._dataclass import dataclass, field
from pgpsig.certs.keyring import Keyring
from pgpsig.engine.judge import Judge
from pgpsig.engine.signatures import judge_for
from pgpsig.engine.trust import TrustDecision, TrustRoots, decide_trust
from pgpsig.errors import BudgetError, FormatError, InputError, PgpsigError
from pgpsig.hashing import FileDigest
from pgpsig.modules.manifest import Manifest, is_local_tag, parse_signed
from pgpsig.modules.tree import Tree, real_base, resolve_inside, walk_module, walk_would_list
from pgpsig.modules.verdict import (
    FileFindingTuple,
    FileState,
    JudgedSignature,
    SignatureVerdict,
    TreeFindings,
    malformed,
    manifest_verdict,
    module_verdict,
    signature_verdict,
    unsigned,
)
from pgpsig.openpgp import sha1sig
from pgpsig.openpgp.packets import Cert
from pgpsig.openpgp.runbudget import run_scope
from pgpsig.openpgp.sha1sig import VerdictStore
from pgpsig.policy import Policy
from pgpsig.report import EMPTY_MODULE_SIG, ModuleReport, SignatureResult, SigStatus
from pgpsig.verify import verify_clearsigned

if TYPE_CHECKING:
    from pgpsig.modules.freepbx import FreePBXLayout

__all__ = ["MAX_SIG_BYTES", "CheckOptions", "Pending", "finish", "prepare"]

#: Largest ``module.sig`` read (a bigger one is status 4, ``module.sig too large``).
MAX_SIG_BYTES = 64 * 1024 * 1024

_HASHED, _UNREADABLE = FileState.HASHED, FileState.UNREADABLE
_MISSING, _ESCAPES = FileState.MISSING, FileState.ESCAPES


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckOptions:
    """How to check: trust roots, policy, reference time, strictness, FreePBX layout.

    ``judge`` is the run's :class:`~pgpsig.engine.judge.Judge`, made from the keyring, policy and time:
    every signature, key and certification of the run is judged by it (one cache for the run).
    ``unlisted=False`` walks only the directories on the way to listed files: no file present but
    not listed is looked for (nor reported); the listed files are judged exactly the same.
    ``verdicts`` keeps the SHA-1 collision verdicts of the signatures across runs
    (:func:`pgpsig.openpgp.sha1sig.verdicts`; the CLI's cache directory): None scans every time.

    Raises:
        ValueError: ``now`` is naive, or ``strict`` without ``unlisted``.
    """

    keyring: Keyring
    roots: TrustRoots
    policy: Policy
    now: datetime
    strict: bool = False
    freepbx: FreePBXLayout | None = None
    exclude: Sequence[str] = ()
    unlisted: bool = True
    verdicts: VerdictStore | None = None
    judge: Judge = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.strict and not self.unlisted:
            raise ValueError("strict needs the unlisted files: it fails the check on them")
        object.__setattr__(self, "judge", judge_for(self.keyring, self.policy, self.now))


@dataclass
class Pending:
    """A module whose signature was judged, waiting for its files to be hashed."""

    name: str
    path: Path
    verdict: SignatureVerdict
    manifest: Manifest | None = None
    #: (listed path, real path to hash as ``str(Path)`` gives it, problem, via a symbolic link,
    #: installed path when it is not the module directory joined with the listed path): strings,
    #: not :class:`~pathlib.Path` objects, which cost 2-3 us each to make, hash and print.
    files: list[tuple[str, str | None, str | None, bool, str | None]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)
    symlinks: list[str] = field(default_factory=list)
    escaping: list[str] = field(default_factory=list)
    #: Unlisted symbolic links met by the walk and their targets, as read.
    links: list[tuple[str, str]] = field(default_factory=list)
    walk_error: str | None = None


def _judge_signature(
    data: bytes, opts: CheckOptions
) -> tuple[SignatureVerdict, list[bytes] | None]:
    """Steps 2-3: the verdict of the signatures, and the chunks of the text they cover.

    The chunks (the canonical text, CRLF, as it was verified) come back only when a good
    signature counts; :func:`~pgpsig.modules.manifest.parse_signed` makes the manifest of them
    once the caller has let go of ``data``.
    """
    texts: dict[int, list[bytes]] = {}

    def collect(block: int, chunk: bytes) -> None:
        texts.setdefault(block, []).append(chunk)

    with sha1sig.verdicts(opts.verdicts), run_scope():
        try:
            report = verify_clearsigned(
                data,
                opts.keyring,
                policy=opts.policy,
                now=opts.now,
                output=collect,
                judge=opts.judge,
            )
        except (FormatError, InputError) as e:
            return malformed(f"malformed module.sig: {e}", str(e)), None
        if report.blocks != 1:
            detail = "malformed module.sig: more than one clear-signed block"
            return malformed(detail, "more than one signed block"), None
        verdict = signature_verdict([_judged(s, opts) for s in report.signatures])
    return verdict, (texts.pop(0, []) if verdict.use_manifest else None)


def _judged(s: SignatureResult, opts: CheckOptions) -> JudgedSignature:
    """A signature with its signer's trust decided (good or bad signatures by a known signer)."""
    if s.primary is None or not (s.good or s.status is SigStatus.BAD):
        return JudgedSignature(result=s)
    cert = opts.keyring.get(s.primary)
    if cert is None:
        return JudgedSignature(result=s)
    try:
        trust = decide_trust(cert, roots=opts.roots, judge=opts.judge)
        warnings = _soft_revocation_warnings(s, cert, opts) if s.good else ()
    except BudgetError as e:  # the run cannot judge a root's certificate: never trusted
        trust, warnings = TrustDecision(False, (), f"the signer's trust cannot be judged: {e}"), ()
    return JudgedSignature(result=s, trust=trust, warnings=warnings)


def _soft_revocation_warnings(
    s: SignatureResult, cert: Cert, opts: CheckOptions
) -> tuple[str, ...]:
    """A soft revocation made after the signature: the signature stays good, with a warning."""
    v = opts.judge.view(cert)
    out = []
    for key, _ in cert.all_keys():
        if key.fingerprint not in (s.signer, cert.fingerprint):
            continue
        for r in v.revocations(None if key is cert.primary else key):
            if not r.hard and r.created <= opts.now:
                out.append(
                    r.said(
                        f"key {key.fingerprint} was revoked ({r.reason_name}) on "
                        f"{r.created.isoformat()}, after this signature was made"
                    )
                )
    return tuple(out)


def _read_regular(path: Path, limit: int) -> bytes | None:
    """The contents of the regular file at ``path`` (links followed), None if over ``limit`` bytes.

    Opened without blocking and checked before reading: a FIFO would hang the check and a device
    such as ``/dev/zero`` (its size is 0) would be read until memory runs out.

    Raises:
        OSError: it cannot be opened or read, or it is not a regular file.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_BINARY", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        if st.st_size > limit:
            return None
        with os.fdopen(fd, "rb", closefd=False) as fp:
            data = fp.read(st.st_size + 1)
            if len(data) > st.st_size:  # it grew since fstat
                data += fp.read(limit + 1 - len(data))
    finally:
        os.close(fd)
    return data if len(data) <= limit else None


def prepare(name: str, module_dir: Path, opts: CheckOptions) -> Pending:
    """Steps 1-5 up to hashing: judge the signature, parse the manifest, resolve every file."""
    path = module_dir
    sig_path = module_dir / "module.sig"
    # (1)
    try:
        if not sig_path.exists():
            return Pending(name, path, unsigned())
        data = _read_regular(sig_path, MAX_SIG_BYTES)
        if data is None:
            return Pending(name, path, malformed("module.sig too large", "module.sig too large"))
        if not data:  # FreePBX installs hold these (gpg says NODATA): say so, not "malformed"
            return Pending(name, path, malformed(EMPTY_MODULE_SIG, EMPTY_MODULE_SIG))
    except OSError as e:
        return Pending(name, path, malformed(f"cannot read module.sig: {e}", str(e)))
    # (2), (3)
    verdict, chunks = _judge_signature(data, opts)
    del data  # the raw module.sig: no longer needed (up to 64 MiB)
    if chunks is None:
        return Pending(name, path, verdict)
    # (4)
    manifest: Manifest | str
    try:
        manifest = parse_signed(chunks)
    except FormatError as e:
        manifest = f"malformed manifest: {e}"
    if isinstance(manifest, Manifest) and is_local_tag(manifest):
        # FreePBX's local tags are rare: their module is imported only when one is met
        from pgpsig.modules.freepbx import local_manifest  # noqa: PLC0415

        manifest = local_manifest(
            manifest, opts.freepbx, lambda secure: _judge_signature(secure, opts)
        )
    verdict = manifest_verdict(verdict, manifest, now=opts.now)
    pending = Pending(name, path, verdict)
    if not verdict.use_manifest or not isinstance(manifest, Manifest):
        return pending
    pending.manifest = manifest
    # (6, first half) walk the module (FreePBX's walk rules; dot-names are never signed by
    # sign.php): its files not listed are reported below, its plain files need no resolving.
    tree: Tree | None = None
    walk_error: PgpsigError | None = None
    # Without ``unlisted``, only the directories on the way to a listed file are walked (not a
    # node_modules tree of 27,000 files that no manifest lists): what is found there is used to
    # resolve the listed files, and never reported.
    only = None if opts.unlisted else _directories_of(e.path for e in manifest.entries)
    try:
        tree = walk_module(module_dir, exclude=opts.exclude, skip_dotfiles=False, only=only)
    except PgpsigError as e:
        walk_error = e
    direct = _reached_directly(tree) if tree is not None else frozenset()
    # With no link anywhere in the walked tree and nothing excluded, a listed path that the walk
    # did not reach and that has no dot-named component is no regular file of the module: missing
    # (what resolve_inside would find, one realpath and several stats later; a manifest listing
    # 200,000 absent files took 8 s).
    walked_all = tree is not None and not tree.symlinks and not opts.exclude and only is None
    module_prefix = (
        os.path.join(os.path.realpath(module_dir), "")  # noqa: PTH118
        if tree is not None and tree.files
        else ""
    )
    # (5) resolve files
    listed: set[str] = set()
    last_base: Path | None = None
    base_real: str | None = None
    if opts.freepbx is not None:
        layout = opts.freepbx
        dests = [layout.destination(name, module_dir, e.path) for e in manifest.entries]
        mapped = _mapped_bases(module_dir, dests)
    else:
        dests = [(module_dir, e.path) for e in manifest.entries]
        mapped = {}
    add_file = pending.files.append
    installed: dict[int, str] = {}  # id(base) -> "base/" for the paths of other bases' files
    for entry, dest in zip(manifest.entries, dests, strict=True):
        listed.add(entry.path)
        if dest is None:
            pending.skipped.append(entry.path)
            continue
        base, rel = dest
        if base is module_dir:
            where = None
            if rel in direct:
                # What resolve_inside answers for a regular file with no link on its way, without
                # its realpath and stats; the hashing opens the file and refuses anything but a
                # regular one.
                add_file((entry.path, module_prefix + rel, None, False, None))
                continue
        else:
            prefix = installed.get(id(base))
            if prefix is None:
                prefix = installed[id(base)] = os.path.join(base, "")  # noqa: PTH118
            where = prefix + rel
        if id(base) in mapped:
            base_direct, real_prefix = mapped[id(base)]
            if rel in base_direct:  # the same, below a base of FreePBX's framework mapping
                add_file((entry.path, real_prefix + rel, None, False, where))
                continue
        if walked_all and base is module_dir and walk_would_list(rel, skip_dotfiles=False):
            add_file((entry.path, None, "missing", False, None))
            continue
        if base is not last_base:  # one resolving of each base for all its files
            last_base, base_real = base, real_base(base)
        r = resolve_inside(base, rel, base_real=base_real)
        if r.via_symlink:
            pending.symlinks.append(entry.path)
        if r.problem == "escapes":
            pending.escaping.append(entry.path)
        real = None if r.path is None else str(r.path)
        add_file((entry.path, real, r.problem, r.via_symlink, where))
    # (6) unlisted files (not looked for without ``unlisted``); a walk's failure is said either way
    pending.walk_error = None if walk_error is None else str(walk_error)
    if only is None and tree is not None:
        pending.unlisted = [f for f in tree.files if f not in listed]
        # A FIFO, socket or device no manifest lists is an unlisted entry too (never opened); a
        # listed one is "not a regular file" below, through resolve_inside.
        pending.unlisted.extend(f for f in tree.special if f not in listed)
        pending.symlinks.extend(s for s in tree.escaping if s not in pending.symlinks)
        # A link that leaves the module counts against it only when the manifest lists it or a
        # path through it; any other (FreePBX makes such links at install time) is an unlisted
        # entry like any other: reported, failing only with ``strict``.
        on_the_way = (
            listed | _directories_of(listed)
            if tree.escaping or tree.dangling or tree.loops
            else frozenset()
        )
        for s in tree.escaping:
            if s in on_the_way:
                if s not in pending.escaping:
                    pending.escaping.append(s)
            else:  # the walk lists no file under a link it did not enter
                pending.unlisted.append(s)
        # A link to nothing, or round a loop, is an unlisted entry too, unless a listed path goes
        # through it (then that listed file is missing).
        for s in (*tree.dangling, *tree.loops):
            if s not in on_the_way:
                pending.unlisted.append(s)
        pending.links = _targets(module_dir, (s for s in tree.symlinks if s not in listed))
    return pending


def _targets(module_dir: Path, links: Iterable[str]) -> list[tuple[str, str]]:
    """Each symbolic link below ``module_dir`` with its target as stored (``?`` if unreadable)."""
    out = []
    for rel in links:
        try:
            target = os.readlink(os.path.join(module_dir, rel))  # noqa: PTH115, PTH118
        except OSError:
            target = "?"
        out.append((rel, target))
    return out


def _mapped_bases(
    module_dir: Path, dests: Sequence[tuple[Path, str] | None]
) -> dict[int, tuple[Container[str], str]]:
    """For each base other than ``module_dir`` (by identity): the files reached directly.

    FreePBX's framework installs 8,000 listed files in the webroot, AMPBIN and so on. Each base is
    walked once, entering only the directories on the way to its listed files (never the
    webroot's other modules), as the module directory is: a listed file the walk reached as a
    regular file through no link is ``(files, real path of the base + "/")``'s, with no resolving
    of its own. A base that cannot be walked (absent, too deep) is left out: its files are
    resolved one by one.
    """
    rels: dict[int, tuple[Path, list[str]]] = {}
    for dest in dests:
        if dest is not None and dest[0] is not module_dir:
            rels.setdefault(id(dest[0]), (dest[0], []))[1].append(dest[1])
    out: dict[int, tuple[Container[str], str]] = {}
    for key, (base, paths) in rels.items():
        try:
            tree = walk_module(base, skip_dotfiles=False, only=_directories_of(paths))
        except PgpsigError:
            continue
        out[key] = (_reached_directly(tree), os.path.join(os.path.realpath(base), ""))  # noqa: PTH118
    return out


def _directories_of(paths: Iterable[str]) -> frozenset[str]:
    """Every directory on the way to one of ``paths`` (``a/b/c`` gives ``a``, ``a/b``)."""
    out: set[str] = set()
    for p in paths:
        i = p.rfind("/")
        while i > 0 and p[:i] not in out:
            out.add(p[:i])
            i = p.rfind("/", 0, i)
    return frozenset(out)


def _reached_directly(tree: Tree) -> Container[str]:
    """The files of ``tree`` that the walk reached as regular files through no symbolic link."""
    files = frozenset(tree.files)
    return files - tree.behind if tree.behind else files


def finish(
    p: Pending, digests: dict[str, FileDigest | OSError], opts: CheckOptions
) -> ModuleReport:
    """Steps 5-6 after hashing: what became of each listed file, then the verdict."""
    if p.manifest is None:
        return module_verdict(module=p.name, path=p.path, verdict=p.verdict, now=opts.now)
    # Plain tuples of FileFinding's fields: a FileFinding costs about 0.6 us a file to make.
    files: list[FileFindingTuple] = []
    add = files.append
    get = digests.get
    for rel, real, problem, _via, where in p.files:
        if problem is None and real is not None:
            d = get(real)
            if d is None or isinstance(d, OSError):
                add((rel, _UNREADABLE, where, None))
            else:
                add((rel, _HASHED, where, d.hexdigest))
        elif problem == "escapes":
            add((rel, _ESCAPES, where, None))
        else:
            add((rel, _MISSING, where, None))
    findings = TreeFindings(
        files=files,
        skipped=tuple(p.skipped),
        unlisted=tuple(p.unlisted),
        symlinks=tuple(p.symlinks),
        escaping=tuple(p.escaping),
        links=tuple(p.links),
        walk_error=p.walk_error,
    )
    return module_verdict(
        module=p.name,
        path=p.path,
        verdict=p.verdict,
        now=opts.now,
        manifest=p.manifest,
        files=findings,
        strict=opts.strict,
    )
