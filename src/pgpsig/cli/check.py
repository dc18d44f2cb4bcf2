"""``pgpsig check``: modules' signatures, their signers' trust, and every listed file.

Parse (with the FreePBX preset: webroot to keyring directories, roots, modules and mappings),
load the keyring and the roots in force, then :func:`pgpsig.modules.check.iter_check_modules`,
whose reports are rendered where they are made (in the worker processes: their JSON text, or
their human lines, and an :class:`_Entry` for the tally) and written out here as they come:
``--json`` streamed (:func:`pgpsig.cli.output.stream_json`), or the operator's report
(:class:`_Human`: one line a
module, details of the failures, folded warnings, a summary naming the failures), with progress on
stderr (:func:`_screen`: a bar on a terminal, plain lines with ``--progress``). Only the counts,
the first failures and the distinct warnings are kept for the end (:class:`_Tally`). Exit 0 when
every module is good and trusted (with the FreePBX preset and without ``--strict``, a module whose
``module.sig`` is empty is reported as not verified and fails nothing), 1 when one is not, 2 on a
usage error, unreadable input or an error during the check (after whatever was already written).
"""

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pgpsig._dataclass import NamedTuple
from pgpsig.cli import inputs
from pgpsig.cli.options import (
    Arg,
    At,
    CacheDirOption,
    Json,
    NoCache,
    Opt,
    RequireFresh,
    command,
)
from pgpsig.cli.output import (
    EXIT_FAILED,
    EXIT_OK,
    Exit,
    err,
    json_item,
    safe,
    stream_json,
    usage,
    write_stdout,
)
from pgpsig.errors import quoted

if TYPE_CHECKING:
    from pgpsig.engine.trust import TrustRoots
    from pgpsig.report import ModuleReport, ModuleSignature

__all__ = ["check"]


@command("", "check")
def check(
    modules: Annotated[
        list[Path] | None, Arg(help="Module directories to check.", metavar="MODULE_DIR")
    ] = None,
    modules_dir: Annotated[
        Path | None,
        Opt("--modules-dir", help="Check every module directory in DIR.", metavar="DIR"),
    ] = None,
    keyring: Annotated[
        list[Path] | None,
        Opt("--keyring", "-k", help="Certificate file or directory (repeatable)."),
    ] = None,
    trust_root: Annotated[
        list[str] | None,
        Opt(
            "--trust-root",
            help="Fingerprint in the keyring, or a certificate file (repeatable).",
            metavar="FPR|CERT_FILE",
        ),
    ] = None,
    freepbx_webroot: Annotated[
        Path | None,
        Opt(
            "--freepbx-webroot",
            metavar="DIR",
            help="FreePBX preset: keys, roots, modules and mappings of this webroot.",
        ),
    ] = None,
    freepbx_secure_dir: Annotated[
        Path | None,
        Opt(
            "--freepbx-secure-dir",
            metavar="DIR",
            help="Secure directory of local signatures (default: /etc/freepbx.secure).",
        ),
    ] = None,
    freepbx_path: Annotated[
        list[str] | None,
        Opt(
            "--freepbx-path",
            metavar="NAME=DIR",
            help="NAME=DIR for the framework mapping: AMPBIN, AMPSBIN, ASTAGIDIR, ASTVARLIBDIR.",
        ),
    ] = None,
    policy: Annotated[
        str | None,
        Opt(
            "--policy",
            metavar="NAME",
            help="Policy profile (default: the FreePBX preset's with --freepbx-webroot, else default).",
            complete="pgpsig.policy:PROFILES",
        ),
    ] = None,
    at: At = None,
    strict: Annotated[
        bool,
        Opt(
            "--strict",
            help="Files present but not listed fail the check (and, with the FreePBX preset,"
            " an empty module.sig).",
        ),
    ] = False,
    no_unlisted: Annotated[
        bool,
        Opt(
            "--no-unlisted",
            help="Do not look for files present but not listed (faster; not with --strict).",
        ),
    ] = False,
    verbose: Annotated[
        bool,
        Opt("--verbose", "-v", help="Details of every module, not only of those that failed."),
    ] = False,
    show_progress: Annotated[
        bool,
        Opt("--progress", help="Plain progress lines on stderr, even when it is no terminal."),
    ] = False,
    require_fresh: RequireFresh = False,
    cache_dir: CacheDirOption = None,
    no_cache: NoCache = False,
    as_json: Json = False,
) -> None:
    """Check modules: signature, signer trust, and every listed file."""
    from pgpsig.modules.check import CheckOptions, iter_check_modules, module_targets

    if strict and no_unlisted:
        usage("--strict fails the check on unlisted files: it cannot go with --no-unlisted")
    now = inputs.now(at)
    key_paths = list(keyring or [])
    preset = None
    if freepbx_webroot is not None:
        from pgpsig.modules.freepbx import freepbx_preset

        preset = freepbx_preset(
            freepbx_webroot, secure_dir=freepbx_secure_dir, paths=freepbx_path or ()
        )
        key_paths += preset.keyring
        if modules_dir is None and not modules:
            modules_dir = preset.modules_dir
    targets = module_targets(modules or [], modules_dir)
    if not targets:
        usage("nothing to check: give MODULE_DIR..., --modules-dir or --freepbx-webroot")
    if require_fresh and keyring:
        usage(
            "--require-fresh judges the keyring feeds applied to the store: it cannot go with"
            " --keyring"
        )
    pol = inputs.policy(policy or (preset.policy if preset is not None else "default"))
    applied: list[Any] = []
    ring = inputs.keyring(
        key_paths or None, warn=False, feeds=applied, store_feeds=preset is not None and not keyring
    )
    roots = inputs.trust_roots(
        ring, list(trust_root or []), preset.roots if preset is not None else ()
    )
    inputs.ring_warnings(ring)  # after the roots' certificate files joined: they may resolve some
    roots, feed_warnings = inputs.freshness(applied, roots, now, require=require_fresh)
    for w in feed_warnings:
        err(f"warning: {w}")
    if not roots.fingerprints:
        err(
            "warning: no trust root in force (give --trust-root, or add one to the store with"
            " pgpsig key trust-root add): no signer can be trusted"
        )
    opts = CheckOptions(
        keyring=ring,
        roots=roots,
        policy=pol,
        now=now,
        strict=strict,
        unlisted=not no_unlisted,
        freepbx=preset.layout if preset is not None else None,
        verdicts=inputs.sha1_verdicts(cache_dir, no_cache, pol),
    )
    # The preset judges a stock install as FreePBX does: an empty module.sig is reported, not
    # verified, but does not fail the run (FreePBX 16 ships one); --strict fails it.
    tally = _Tally(pass_empty=preset is not None and not strict, named=len(modules or ()))
    human = _Human(
        width=min(max(len(safe(name)) for name, _ in targets), _NAME_WIDTH),
        color=sys.stdout.isatty() and "NO_COLOR" not in os.environ,
        verbose=verbose,
    )
    # Each report is turned into what is written of it where it is made (in a worker process),
    # and only that comes here: a module's 27,000 unlisted paths travel as JSON text, or not at
    # all for the human output.
    render: Callable[[ModuleReport], tuple[_Entry, Any]] = (
        (lambda r: (_Entry.of(r), json_item(r.to_dict())))
        if as_json
        else (lambda r: (_Entry.of(r), human.body(r)))
    )
    # The reports are closed on the way out: a reader gone (BrokenPipeError) or an error stops
    # the workers.
    with (
        _screen(len(targets), plain=show_progress) as screen,
        contextlib.closing(
            iter_check_modules(targets, opts, screen.update, render=render)
        ) as results,
    ):
        if as_json:

            def texts() -> Iterator[str]:
                for entry, text in results:
                    tally.add(entry)
                    yield text

            stream_json(
                "modules",
                texts(),
                lambda: {
                    "summary": {
                        "modules": tally.modules,
                        "good": tally.good,
                        "failed": tally.failures,
                        "not_verified": len(tally.unverified),
                    },
                    "trust_roots": [o.to_dict() for o in roots.origins],
                    "feeds": [a.to_dict(now) for a in applied],
                    "warnings": feed_warnings,
                },
                screen.out,
                encoded=True,
            )
        else:
            screen.out(_roots_line(roots) + "\n")
            for entry, (line, details) in results:
                tally.add(entry)
                screen.out(human.module(entry, line, details, passed=tally.passed))
            screen.out(human.end(tally))
    raise Exit(EXIT_OK if tally.failures == 0 else EXIT_FAILED)


#: Modules named in the summary line of failures, distinct warnings folded at the end, details
#: shown under a module that failed (without --verbose); the rest is counted ("and N more").
_NAMED = 20
#: Widest module name the columns of the human output are aligned to (a longer one sticks out).
_NAME_WIDTH = 24


class _Tally:
    """What the end of the output needs, kept as the reports go by (never the reports themselves).

    The counts, the first :data:`_NAMED` modules that failed (name and status), the modules let
    pass unverified (``pass_empty``: an empty ``module.sig`` in a module of the FreePBX listing,
    never one of the first ``named`` reports, the modules named on the command line), and each
    distinct signature warning with the number of modules that carry it and the first of them.
    """

    def __init__(self, *, pass_empty: bool = False, named: int = 0) -> None:
        self.pass_empty = pass_empty
        self.named = named
        self.modules = 0
        self.good = 0
        self.failures = 0
        self.passed = False  # whether the last report added fails nothing
        self.failed: list[tuple[str, int]] = []
        self.unverified: list[str] = []
        self.warnings: dict[str, tuple[int, str]] = {}

    def add(self, r: "_Entry") -> None:
        """Count ``r``."""
        self.modules += 1
        listed = self.modules > self.named
        self.passed = r.ok or (self.pass_empty and listed and r.empty_module_sig)
        if r.ok:
            self.good += 1
        elif self.passed:
            self.unverified.append(r.module)
        else:
            self.failures += 1
            if len(self.failed) < _NAMED:
                self.failed.append((r.module, r.status))
        for w in dict.fromkeys(r.warnings):
            count, first = self.warnings.get(w, (0, r.module))
            self.warnings[w] = (count + 1, first)


class _Entry(NamedTuple):
    """What the end of the output needs of a report (:class:`_Tally`), made where it is made."""

    module: str
    status: int
    ok: bool
    empty_module_sig: bool
    warnings: tuple[str, ...]

    @classmethod
    def of(cls, r: "ModuleReport") -> "_Entry":
        warnings = r.signature.warnings if r.signature is not None else ()
        return cls(r.module, int(r.status), r.ok, r.empty_module_sig, warnings)


class _Human:
    """The human report: one line a module as it comes, details of failures, then the summary.

    A line is ``OK|WARN|FAIL  NAME  STATUS  SIGNER`` (columns aligned, name padded to the longest
    up to :data:`_NAME_WIDTH`), then the counts of altered, missing and unlisted files when there
    are any. Under a module that is not good (every module with ``verbose``), indented: its status
    flags and files checked, its signer, its signature warnings and its details (the first
    :data:`_NAMED` unless ``verbose``). :meth:`body` makes all of it but the first word, in the
    process that checked the module; :meth:`module` puts the line together here.
    """

    def __init__(self, *, width: int, color: bool, verbose: bool) -> None:
        self.width = width
        self.color = color
        self.verbose = verbose

    def paint(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text

    def body(self, r: "ModuleReport") -> tuple[str, list[str]]:
        """The line of ``r`` after its first word, and the lines under it (none when it is good)."""
        f = r.files
        notes = [
            f"{n} {what}"
            for n, what in (
                (len(f.altered), "altered"),
                (len(f.missing), "missing"),
                (len(f.unlisted), "unlisted"),
            )
            if n
        ]
        if r.ok and r.details and not self.verbose:
            notes.append(f"{len(r.details)} detail(s): --verbose")
        name = safe(r.module)
        line = f"{name:<{self.width}}  {int(r.status):>3}  " + ", ".join(
            [_signer(r.signature), *notes]
        )
        shown = not r.ok or self.verbose
        return line, [f"      {d}" for d in self.details(r)] if shown else []

    def module(self, r: "_Entry", line: str, details: list[str], *, passed: bool) -> str:
        """The text of a module: its first word, its :meth:`body`.

        ``passed``: ``r`` does not fail the run; one that is not good is headed ``WARN``.
        """
        if r.ok:
            head = self.paint("OK  ", "32")
        else:
            head = self.paint("WARN", "33;1") if passed else self.paint("FAIL", "31;1")
        return "\n".join([f"{head}  {line}", *details]) + "\n"

    def details(self, r: "ModuleReport") -> list[str]:
        """The indented lines under a module: flags and files, signer, warnings, details."""
        flags = "|".join(r.status.names) or "-"
        sig = r.signature
        first = f"status {int(r.status)} ({flags})"
        if sig is not None and sig.result.good:
            first += f", {r.files.checked} file(s) checked"
        lines = [first]
        if sig is not None and sig.result.signer:
            trust = "trusted via " + " -> ".join(sig.trust_path) if sig.trusted else "not trusted"
            made = sig.result.created.strftime("%Y-%m-%d") if sig.result.created else "?"
            lines.append(
                f"signer {sig.result.signer} ({sig.result.hash_algorithm}, {made}), {trust}"
            )
        lines += [f"warning: {safe(w)}" for w in (sig.warnings if sig is not None else ())]
        shown = r.details if self.verbose else r.details[:_NAMED]
        lines += [safe(d) for d in shown]
        if len(r.details) > len(shown):
            lines.append(f"... and {len(r.details) - len(shown)} more")
        return lines

    def end(self, tally: _Tally) -> str:
        """The folded warnings, then ``N of M module(s) good`` and the modules that failed."""
        lines = []
        for w, (count, first) in list(tally.warnings.items())[:_NAMED]:
            where = f"{count} modules" if count > 1 else safe(first)
            lines.append(f"warning: {safe(w)} ({where})")
        if len(tally.warnings) > _NAMED:
            lines.append(f"... and {len(tally.warnings) - _NAMED} more warnings (in --json)")
        lines.append(f"{tally.good} of {tally.modules} module(s) good")
        if tally.unverified:
            named = [safe(name) for name in tally.unverified[:_NAMED]]
            if len(tally.unverified) > _NAMED:
                named.append(f"and {len(tally.unverified) - _NAMED} more")
            lines.append(
                "not verified, empty module.sig (passed by the FreePBX preset; --strict fails"
                " them): " + ", ".join(named)
            )
        failed = tally.failures
        if failed:
            named = [f"{safe(name)} ({status})" for name, status in tally.failed]
            if failed > len(named):
                named.append(f"and {failed - len(named)} more")
            lines.append("failed: " + ", ".join(named))
        return "\n".join(lines) + "\n"


def _signer(sig: "ModuleSignature | None") -> str:
    """``signed by <primary fingerprint> "<user ID>" (trusted)``: who signed, and the verdict.

    The user ID names the signer's certificate (quoted and bounded, :func:`pgpsig.errors.quoted`;
    left out when there is none). The verdict is the JSON ``signature.status`` (``untrusted`` for a
    good signature by a signer no root vouches for), ``trusted`` for a good one by a trusted signer.
    """
    if sig is None:
        return "no signature"
    status = sig.status.value  # "good" only for a trusted signer
    who = sig.result.primary or sig.result.signer
    if who is None:
        return f"signature {status}"
    if sig.result.user_id is not None:
        who += f" {quoted(sig.result.user_id)}"
    return f"signed by {who} ({'trusted' if status == 'good' else status})"


def _roots_line(roots: "TrustRoots") -> str:
    """The human line naming the roots in force and where each came from."""
    named = ", ".join(f"{o.fingerprint} ({o.source})" for o in roots.origins)
    return f"trust roots: {named or 'none'}"


class _Screen:
    """Where the output goes while the check runs: stdout, and the progress on stderr.

    ``update`` is the progress callback of :func:`pgpsig.modules.check.iter_check_modules` (None
    for no progress); ``out`` writes text on stdout at once. While a progress bar is drawn on the
    terminal that stdout also writes to, ``out`` writes whole lines only, each time erasing the
    bar first and drawing it again after (the bar is one line: rich draws it in place).
    """

    def __init__(self) -> None:
        self.update: _Update | None = None
        self._bar: Any = None
        self._pending = ""

    def out(self, text: str) -> None:
        """Write ``text`` on stdout now (over a bar: its whole lines now, the rest with the next)."""
        if self._bar is None:
            write_stdout(text)
            return
        head, newline, self._pending = (self._pending + text).rpartition("\n")
        if newline:
            # The bar's own file: sys.stderr is rich's proxy, which prints above the bar.
            terminal = self._bar.console.file
            terminal.write("\r\x1b[2K")
            terminal.flush()
            write_stdout(head + newline)
            self._bar.refresh()

    def draw_over(self, bar: Any) -> None:
        """Write stdout's lines over ``bar``, a rich progress bar on the same terminal."""
        self._bar = bar

    def close_bar(self) -> None:
        """The bar is gone: write what is left of a line."""
        self._bar = None
        if self._pending:
            text, self._pending = self._pending, ""
            write_stdout(text)


_Update = Callable[[str, int, int], None]


@contextlib.contextmanager
def _screen(n_modules: int, *, plain: bool) -> Iterator[_Screen]:
    """The output of a check of ``n_modules``: progress lines with ``plain``, else a bar.

    ``plain`` (``--progress``): ``pgpsig: checking N module(s)``, then ``pgpsig: checked D/N
    modules`` on stderr as each further tenth of the modules is done (ten more lines at most). Else a
    progress bar on stderr, only when it is a terminal, for two modules or more (rich, if
    installed).
    """
    screen = _Screen()
    if plain:
        screen.update = _plain_progress(n_modules)
        yield screen
        return
    if n_modules < 2 or not sys.stderr.isatty():
        yield screen
        return
    try:
        from rich.console import Console
        from rich.progress import Progress
    except ImportError:
        yield screen
        return
    shared = _same_terminal()  # before rich stands in for sys.stderr
    # No refresh thread (auto_refresh=False): check forks worker processes only while this
    # process runs no other thread, so the bar is redrawn by each update instead.
    with Progress(
        transient=True, console=Console(stderr=True), redirect_stdout=False, auto_refresh=False
    ) as bar:
        task = bar.add_task("checking modules", total=n_modules)

        def update(stage: str, done: int, total: int) -> None:
            if stage == "signatures":
                bar.update(task, description="checking modules", completed=done, total=total)
            elif done == 0:
                bar.update(task, description=f"hashing {total} files", completed=0, total=None)
            else:
                bar.update(task, completed=total, total=total)
            bar.refresh()

        screen.update = update
        if shared:
            screen.draw_over(bar)
        try:
            yield screen
        finally:
            screen.close_bar()


def _same_terminal() -> bool:
    """Whether stdout writes to the terminal stderr writes to."""
    try:
        return sys.stdout.isatty() and os.path.samestat(
            os.fstat(sys.stdout.fileno()), os.fstat(sys.stderr.fileno())
        )
    except (OSError, ValueError):
        return False


def _plain_progress(n_modules: int) -> _Update:
    """The ``--progress`` callback: a line on stderr at the start and at each tenth done."""
    err(f"checking {n_modules} module(s)")
    shown = 0

    def update(stage: str, done: int, total: int) -> None:
        nonlocal shown
        if stage != "signatures" or total <= 0:
            return
        tenth = done * 10 // total
        if tenth > shown:
            shown = tenth
            err(f"checked {done}/{total} modules")

    return update
