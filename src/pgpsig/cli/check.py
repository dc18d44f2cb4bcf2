"""``pgpsig check``: modules' signatures, their signers' trust, and every listed file.

Parse (with the FreePBX preset: webroot to keyring directories, roots, modules and mappings),
load the keyring and the roots in force, then one call of
:func:`pgpsig.modules.check.check_modules`, then the reports: JSON, or a short human report with
a progress bar on a terminal. Exit 0 when every module is good and trusted, 1 when one is not, 2
on a usage error or unreadable input.
"""

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from pgpsig.cli import inputs
from pgpsig.cli.options import Arg, At, Json, Opt, command
from pgpsig.cli.output import EXIT_FAILED, EXIT_OK, Exit, err, print_json, safe, usage

__all__ = ["check"]


@command("", "check")
def check(
    modules: Annotated[list[Path] | None, Arg(help="Module directories to check.")] = None,
    modules_dir: Annotated[
        Path | None, Opt("--modules-dir", help="Check every module directory in DIR.")
    ] = None,
    keyring: Annotated[
        list[Path] | None,
        Opt("--keyring", "-k", help="Certificate file or directory (repeatable)."),
    ] = None,
    trust_root: Annotated[
        list[str] | None,
        Opt("--trust-root", help="Fingerprint in the keyring, or a certificate file (repeatable)."),
    ] = None,
    freepbx_webroot: Annotated[
        Path | None,
        Opt(
            "--freepbx-webroot",
            help="FreePBX preset: keys, roots, modules and mappings of this webroot.",
        ),
    ] = None,
    freepbx_secure_dir: Annotated[
        Path | None,
        Opt(
            "--freepbx-secure-dir",
            help="Secure directory of local signatures (default: /etc/freepbx.secure).",
        ),
    ] = None,
    freepbx_path: Annotated[
        list[str] | None,
        Opt(
            "--freepbx-path",
            help="NAME=DIR for the framework mapping: AMPBIN, AMPSBIN, ASTAGIDIR, ASTVARLIBDIR.",
        ),
    ] = None,
    policy: Annotated[
        str | None,
        Opt(
            "--policy",
            help="default or freepbx-legacy (the FreePBX preset's default).",
            complete="pgpsig.policy:PROFILES",
        ),
    ] = None,
    at: At = None,
    strict: Annotated[
        bool, Opt("--strict", help="Files present but not listed fail the check.")
    ] = False,
    as_json: Json = False,
) -> None:
    """Check modules: signature, signer trust, and every listed file."""
    from pgpsig.modules.check import CheckOptions, check_modules, module_targets

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
    pol = inputs.policy(policy or (preset.policy if preset is not None else "default"))
    ring = inputs.keyring(key_paths or None, warn=False)
    roots = inputs.trust_roots(
        ring, list(trust_root or []), preset.roots if preset is not None else ()
    )
    inputs.ring_warnings(ring)  # after the roots' certificate files joined: they may resolve some
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
        freepbx=preset.layout if preset is not None else None,
    )
    with _progress(len(targets)) as progress:
        reports = check_modules(targets, opts, progress)
    good = sum(1 for r in reports if r.ok)
    if as_json:
        print_json(
            {
                "modules": [r.to_dict() for r in reports],
                "summary": {
                    "modules": len(reports),
                    "good": good,
                    "failed": len(reports) - good,
                },
                "trust_roots": [o.to_dict() for o in roots.origins],
            }
        )
    else:
        _human_check(reports, roots, sys.stdout.isatty() and "NO_COLOR" not in os.environ)
    raise Exit(EXIT_OK if good == len(reports) else EXIT_FAILED)


@contextlib.contextmanager
def _progress(n_modules: int) -> Iterator[Any]:
    """A progress bar on stderr for long runs, only on a terminal (rich, if installed)."""
    if n_modules < 2 or not sys.stderr.isatty():
        yield None
        return
    try:
        from rich.console import Console
        from rich.progress import Progress
    except ImportError:
        yield None
        return
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

        yield update


def _roots_line(roots: Any) -> str:
    """The human line naming the roots in force and where each came from."""
    named = ", ".join(f"{o.fingerprint} ({o.source})" for o in roots.origins)
    return f"trust roots: {named or 'none'}"


def _human_check(reports: list[Any], roots: Any, color: bool) -> None:
    def paint(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color else text

    print(_roots_line(roots))
    for r in reports:
        ok = r.ok
        head = paint("OK  " if ok else "FAIL", "32" if ok else "31;1")
        flags = "|".join(r.status.names) or "-"
        print(f"{head} {safe(r.module)}  status {int(r.status)} ({flags})")
        sig = r.signature
        if sig is not None and sig.result.signer:
            trust = "trusted via " + " -> ".join(sig.trust_path) if sig.trusted else "not trusted"
            made = sig.result.created.strftime("%Y-%m-%d") if sig.result.created else "?"
            print(f"     signer {sig.result.signer} ({sig.result.hash_algorithm}, {made}), {trust}")
        f = r.files
        if r.signature is not None and (f.checked or f.missing or f.altered):
            print(
                f"     files: {f.checked} checked, {len(f.altered)} altered, "
                f"{len(f.missing)} missing, {len(f.unlisted)} unlisted"
            )
        for w in sig.warnings if sig else ():
            print(f"     warning: {safe(w)}")
        for d in r.details[:20]:
            print(f"     {safe(d)}")
        if len(r.details) > 20:
            print(f"     ... and {len(r.details) - 20} more")
    good = sum(1 for r in reports if r.ok)
    print(f"{good} of {len(reports)} module(s) good")
