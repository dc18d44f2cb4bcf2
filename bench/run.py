"""Benchmark pgpsig side by side with its peers, on the same inputs, in the same run.

    python bench/run.py [--quick] [--out bench/results.json] [--cases c,d] [--reps N]

Builds its inputs deterministically under the work directory (``bench/out/``, git-ignored), makes
fresh test keys with gpg in a temporary GNUPGHOME, signs the inputs with gpg, then runs every tool
on the same input, interleaved, N times, measuring each child's wall time, CPU time and peak RSS
(through GNU time when installed, else ``os.wait4``). Prints a table with pgpsig/peer ratios and writes JSON. Each tool is also run once
on a bad input (a signature over other data, or a tampered text) to catch wrong answers.

A tool that fails is reported as such ("failed: <first stderr line>", "timeout", "wrong answer",
"missing"); no number is ever made up. Timings are never asserted: the exit code is 0 unless the
harness itself cannot run (2, e.g. gpg missing).

To add a case, write a builder ``(Context, Variant) -> Prepared`` and add it to ``CASES``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import random
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anatomy
import fleet

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GEN_VERSION = 1  # bump when an input builder changes what it writes
MiB = 1 << 20
GiB = 1 << 30


# --- running and measuring one child --------------------------------------------------------------


@dataclass
class Run:
    """One measured run of one tool."""

    exit: int | None  # None: killed by the timeout
    wall_s: float
    user_s: float
    sys_s: float
    maxrss_kib: int
    stderr: str

    @property
    def timed_out(self) -> bool:
        return self.exit is None


@dataclass
class Tool:
    """One command line of one tool on one input."""

    name: str
    argv: list[str]
    stdin: Path | None = None
    env: dict[str, str] | None = None
    timeout: float = 600.0
    note: str = ""
    rejects_with: int | None = None  # the exit code meaning "does not verify", if the tool has one
    # after its runs: None, or what is wrong; on a bad input: None when it was rejected, or what
    # was wrong (then its exit code is not what decides)
    validate: Callable[[], str | None] | None = None
    ok_exits: tuple[int, ...] = (0,)  # exit codes of a run that went through (validate judges)
    # called before every run of the tool, outside the measured time (e.g. an empty cache)
    before: Callable[[], None] | None = None


def gnu_time() -> str | None:
    """GNU time's path, if installed (Debian package ``time``)."""
    exe = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    if exe is None:
        return None
    r = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False)
    return exe if "GNU" in (r.stdout + r.stderr) else None


TIME = gnu_time()
RSS_METHOD = (
    "GNU time %M: the tool is forked from GNU time (about 1 MiB), so its peak RSS is exact"
    if TIME
    else "os.wait4: the tool is forked from this harness, whose RSS is a floor under every figure"
)


def measure(tool: Tool, scratch: Path) -> Run:
    """Run ``tool`` once: wall time from spawn to exit; CPU time and peak RSS of that process.

    On Linux a process's peak RSS survives ``exec``, so a tool forked straight from this Python
    harness would report at least the harness's RSS. When GNU time is installed the tool is started
    through it (a ~1 MiB process) and its report is used; otherwise ``os.wait4``'s rusage is.
    """
    err_path = scratch / f"{tool.name}.stderr"
    report = scratch / f"{tool.name}.time"
    if tool.before is not None:
        tool.before()
    env = dict(os.environ)
    env.update(tool.env or {})
    argv = tool.argv
    if TIME:
        argv = [TIME, "-o", str(report), "-f", "%e %U %S %M", "--", *argv]
    with contextlib.ExitStack() as stack:
        stdin = stack.enter_context(tool.stdin.open("rb")) if tool.stdin else subprocess.DEVNULL
        err = stack.enter_context(err_path.open("wb"))
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            stdin=stdin,
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env,
            start_new_session=True,
        )
        timed_out = not _wait_exit(proc.pid, tool.timeout)
        if timed_out:
            os.killpg(proc.pid, signal.SIGKILL)  # the tool and GNU time; not reaped yet
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here; keep Popen from waiting
    user, system, maxrss = usage.ru_utime, usage.ru_stime, usage.ru_maxrss  # KiB on Linux
    if TIME and not timed_out:
        lines = report.read_text().splitlines()
        fields = lines[-1].split()
        user, system, maxrss = float(fields[1]), float(fields[2]), int(fields[3])
        if any(line.startswith("Command terminated by signal") for line in lines):
            proc.returncode = -int(next(line for line in lines if "signal" in line).split()[-1])
    return Run(
        exit=None if timed_out else proc.returncode,
        wall_s=wall,
        user_s=user,
        sys_s=system,
        maxrss_kib=maxrss,
        stderr=err_path.read_text(errors="replace"),
    )


def _wait_exit(pid: int, timeout: float) -> bool:
    """Wait until the child exits (without reaping it); False when ``timeout`` passes first."""
    if hasattr(os, "pidfd_open"):
        with contextlib.suppress(OSError):
            fd = os.pidfd_open(pid)
            try:
                ready, _, _ = select.select([fd], [], [], timeout)
                return bool(ready)
            finally:
                os.close(fd)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return True
        time.sleep(0.002)
    return False


# --- keys and signing with gpg --------------------------------------------------------------------


@dataclass
class Key:
    algorithm: str
    fingerprint: str
    cert: Path  # armored certificate (pgpsig, sqv, sqop, PGPy)
    keyring: Path  # binary keyring (gpgv)


class GnuPG:
    """gpg in a temporary GNUPGHOME, used only to make keys and signatures."""

    def __init__(self, gpg: str, home: Path, outdir: Path) -> None:
        self.gpg = gpg
        self.home = home
        self.outdir = outdir
        self.keys: dict[str, Key] = {}

    def run(self, *args: str, stdout: Path | None = None) -> None:
        argv = [
            self.gpg,
            "--homedir",
            str(self.home),
            "--batch",
            "--yes",
            "--quiet",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            *args,
        ]
        with contextlib.ExitStack() as stack:
            out = stack.enter_context(stdout.open("wb")) if stdout else subprocess.DEVNULL
            r = subprocess.run(argv, stdout=out, stderr=subprocess.PIPE, check=False)
        if r.returncode != 0:
            msg = f"gpg {' '.join(args[:2])} failed: {r.stderr.decode(errors='replace').strip()}"
            raise RuntimeError(msg)

    def key(self, algorithm: str) -> Key:
        """A signing key of ``algorithm`` (gpg's names: ed25519, rsa4096), made on first use."""
        if algorithm not in self.keys:
            uid = f"pgpsig bench {algorithm} <bench-{algorithm}@example.invalid>"
            self.run("--quick-gen-key", uid, algorithm, "sign", "never")
            listing = subprocess.run(
                [self.gpg, "--homedir", str(self.home), "--with-colons", "--list-keys", uid],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            fpr = next(
                line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:")
            )
            cert = self.outdir / f"cert-{algorithm}.asc"
            keyring = self.outdir / f"keyring-{algorithm}.gpg"
            self.run("--armor", "--export", fpr, stdout=cert)
            self.run("--export", fpr, stdout=keyring)
            self.keys[algorithm] = Key(algorithm, fpr, cert, keyring)
        return self.keys[algorithm]

    def detach_sign(self, key: Key, data: Path, sig: Path, digest: str) -> None:
        self.run(
            "--local-user",
            key.fingerprint,
            "--digest-algo",
            digest,
            "--detach-sign",
            "--output",
            str(sig),
            str(data),
        )

    def clearsign(self, key: Key, text: Path, out: Path, digest: str) -> None:
        self.run(
            "--local-user",
            key.fingerprint,
            "--digest-algo",
            digest,
            "--clearsign",
            "--output",
            str(out),
            str(text),
        )

    def close(self) -> None:
        gpgconf = shutil.which("gpgconf")
        if gpgconf:
            subprocess.run(
                [gpgconf, "--homedir", str(self.home), "--kill", "all"],
                capture_output=True,
                check=False,
            )


# --- context, cases -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModuleKeys:
    """Keys of the module cases: a trust root certifying an Ed25519 developer key."""

    root_cert: Path  # the root's certificate (--trust-root)
    dev_secret: Path  # the developer's unprotected secret key (pgpsig sign --key)
    dev_cert: Path  # the developer's certificate with the root's certification (--keyring)
    keyring: Path  # the developer's certificate as a binary keyring (gpgv)
    fingerprint: str


@dataclass
class Context:
    work: Path  # inputs, cached between runs
    scratch: Path  # this run's signatures, keys and stderr files
    quick: bool
    gnupg: GnuPG
    digest: str
    timeout: float
    pgpy_timeout: float
    empty_home: Path  # an empty GNUPGHOME / PGPSIG_HOME, so no tool finds a default keyring
    fleet_shape: Path  # freepbx16-fleet-shape.json, for cases (a) and (f)
    anatomy: Path  # webroot-anatomy.json, for case (f)
    real_manifests: Path  # a stock FreePBX 16 install's module.sig files, to size case (h)'s
    warmup: bool = True  # run every tool once, unmeasured, before the measured runs
    _module_keys: ModuleKeys | None = None

    def tool(self, name: str) -> str | None:
        return shutil.which(name)

    def module_keys(self) -> ModuleKeys:
        """A root key and an Ed25519 developer key it certifies, made with ``pgpsig key``.

        The developer's secret key is also imported into the harness's gpg, so that gpg signs with
        the very same key in the signing case.
        """
        if self._module_keys is None:
            d = self.scratch / "module-keys"
            d.mkdir(exist_ok=True)
            env = {k: v for k, v in os.environ.items() if k != "PGPSIG_PASSPHRASE"}
            env["PGPSIG_HOME"] = str(self.empty_home)

            def pgpsig(*args: str) -> str:
                r = subprocess.run(
                    [sys.executable, "-m", "pgpsig", "key", *args],
                    capture_output=True,
                    text=True,
                    env=env,
                    check=False,
                )
                if r.returncode != 0:
                    raise RuntimeError(f"pgpsig key {args[0]} failed: {_first_line(r.stderr)}")
                return r.stdout

            fpr = ""
            for who in ("root", "dev"):
                made = pgpsig(
                    "generate",
                    "--uid",
                    f"pgpsig bench {who} <bench-{who}@example.invalid>",
                    "--out",
                    str(d / f"{who}.sec.asc"),
                    "--cert-out",
                    str(d / f"{who}.asc"),
                    "--force",
                    "--json",
                )
                fpr = json.loads(made)["fingerprint"]
            certified = d / "dev-certified.asc"
            root_secret = str(d / "root.sec.asc")
            pgpsig("certify", str(d / "dev.asc"), "--with", root_secret, "--out", str(certified))
            self.gnupg.run("--import", str(d / "dev.sec.asc"))
            keyring = d / "dev.gpg"
            self.gnupg.run("--export", fpr, stdout=keyring)
            self._module_keys = ModuleKeys(
                root_cert=d / "root.asc",
                dev_secret=d / "dev.sec.asc",
                dev_cert=certified,
                keyring=keyring,
                fingerprint=fpr,
            )
        return self._module_keys

    def pgpsig(self, *args: str) -> Tool:
        return Tool(
            "pgpsig",
            [sys.executable, "-m", "pgpsig", *args],
            env={"PGPSIG_HOME": str(self.empty_home)},
            timeout=self.timeout,
            rejects_with=1,
        )

    def gpgv(self, *args: str) -> Tool | str:
        exe = self.tool("gpgv")
        if exe is None:
            return "missing: gpgv not installed"
        return Tool(
            "gpgv",
            [exe, *args],
            env={"GNUPGHOME": str(self.empty_home)},
            timeout=self.timeout,
            rejects_with=1,
        )

    def pgpy(self, *args: str) -> Tool | str:
        if importlib.util.find_spec("pgpy") is None:
            return "missing: PGPy not importable"
        return Tool(
            "pgpy",
            [sys.executable, str(HERE / "pgpy_verify.py"), *args],
            timeout=self.pgpy_timeout,
            rejects_with=1,
        )


@dataclass(frozen=True)
class Target:
    """A target of the issue: ``tool``'s wall time over ``peer``'s (a ratio), or, with no peer,
    ``tool``'s peak RSS in MiB; met when the measured value is at most ``limit``. With
    ``difference``, ``tool``'s wall time minus ``peer``'s, in seconds ("at most 3 s slower").

    With ``across``, the peer's row is in another case of the same run (the same key variant):
    ``(its CASES key, its key in the results)``, e.g. ``("a", "a-check")``; the target has no
    value ("missing: needs case a") when that case was not run. ``rss`` compares peak RSS instead
    of wall time (a ratio too)."""

    label: str
    tool: str
    peer: str | None
    limit: float
    stretch: float
    across: tuple[str, str] | None = None
    rss: bool = False
    difference: bool = False

    def describe(self) -> str:
        if self.peer is None:
            return f"RSS <= {self.limit:g} MiB (stretch {self.stretch:g})"
        if self.difference:
            return f"<= +{self.limit:g} s (stretch +{self.stretch:g} s)"
        return f"<= {self.limit:g}x (stretch {self.stretch:g}x)"


def rss_target(what: str, tool: str = "pgpsig") -> Target:
    """Issue #16's peak RSS target, the same for every pgpsig row of every case (sign, ``--json``
    and the library included): <= 40 MiB, stretch 32 MiB."""
    return Target(f"{what}: peak RSS", tool, None, 40, 32)


@dataclass
class Prepared:
    """What a case builder returns: the input's description and each tool on good and bad input.

    The row named ``pgpsig`` is the base of the pgpsig/peer ratios; other rows named ``pgpsig-*``
    are other ways of running pgpsig (its library in one process), compared through ``targets``.
    """

    title: str
    input: dict[str, Any]
    good: list[Tool | tuple[str, str]]  # a Tool, or (name, "missing: why")
    bad: dict[str, Tool] = field(default_factory=dict)  # by tool name: must NOT verify
    targets: list[Target] = field(default_factory=list)
    key: str = ""  # the case's name in the results, e.g. "a-check" (default: the CASES key)


@dataclass(frozen=True)
class Variant:
    name: str
    key_algorithm: str  # gpg --quick-gen-key algorithm


@dataclass(frozen=True)
class Case:
    title: str
    build: Callable[[Context, Variant], Prepared | list[Prepared]]
    variants: tuple[Variant, ...]
    full_only: bool = False  # left out of --quick unless named in --cases (then run small)


def cached(path: Path, params: dict[str, Any], write: Callable[[Path], None]) -> Path:
    """Build ``path`` with ``write`` unless it exists from a build with the same parameters."""
    stamp = path.with_name(path.name + ".stamp")
    want = json.dumps({**params, "gen": GEN_VERSION}, sort_keys=True)
    if path.exists() and stamp.exists() and stamp.read_text() == want:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    tmp.replace(path)
    stamp.write_text(want)
    return path


def write_binary(path: Path, size: int, seed: int) -> None:
    """Pseudo-random bytes: 1 MiB blocks of a seeded stream, each stamped with its index."""
    block = random.Random(seed).randbytes(MiB)
    with path.open("wb") as f:
        left = size
        i = 0
        while left > 0:
            chunk = i.to_bytes(8, "big") + block[8:]
            f.write(chunk[:left])
            left -= len(chunk)
            i += 1


# fmt: off
WORDS = ("module", "signature", "framework", "asterisk", "extension", "voicemail", "trunk",
         "dialplan", "queue", "ring", "group", "über", "café", "naïve", "設定", "ключ", "echo",
         "$var", "<?php", "?>", "{", "}", "=>", "//", "#", ";", "From", "the", "a", "of")
# fmt: on


def text_block(seed: int, target: int) -> bytes:
    """About ``target`` bytes of lines meant to exercise clear-signing: trailing whitespace, CRLF,
    lines starting with '-' (dash-escaped by the signer), 'From ' lines, blank and long lines."""
    rng = random.Random(seed)
    out: list[bytes] = []
    n = 0
    while n < target:
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 14)))
        kind = rng.random()
        if kind < 0.35:
            line = words + "\n"
        elif kind < 0.50:
            line = words + rng.choice([" ", "  ", "\t", " \t ", "    \t"]) + "\n"
        elif kind < 0.65:
            line = words + "\r\n"
        elif kind < 0.70:
            line = words + rng.choice([" ", "\t "]) + "\r\n"
        elif kind < 0.80:
            line = rng.choice(["- ", "-- ", "-", "---", "-----BEGIN PGP SIGNATURE-----", "- - "])
            line += words + rng.choice(["\n", "\r\n", " \n"])
        elif kind < 0.84:
            line = "From " + words + "\n"
        elif kind < 0.90:
            line = rng.choice(["\n", "\r\n", " \n", "\t\n", "  \r\n"])
        elif kind < 0.99:
            line = "    " + words + ";\n"
        else:
            line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(300, 1500))) + "\n"
        data = line.encode()
        out.append(data)
        n += len(data)
    return b"".join(out)


def write_text(path: Path, size: int, seed: int) -> None:
    """About ``size`` bytes of text: eight distinct blocks of lines, cycled."""
    blocks = [text_block(seed * 31 + k, min(size, 4 * MiB)) for k in range(8)]
    with path.open("wb") as f:
        n = 0
        k = 0
        while n < size:
            f.write(blocks[k % len(blocks)])
            n += len(blocks[k % len(blocks)])
            k += 1


def tamper_clearsigned(src: Path, dst: Path) -> None:
    """Copy a clear-signed file, changing one letter in the middle of its signed text."""
    data = bytearray(src.read_bytes())
    body_end = data.rfind(b"-----BEGIN PGP SIGNATURE-----")
    start = data.find(b"\n\n") + 2  # after the armor headers
    pos = start + (body_end - start) // 2
    while not (97 <= data[pos] <= 122 and data[pos - 1] != 0x2D):  # a lower-case letter
        pos += 1
    data[pos] = 97 + (data[pos] - 97 + 1) % 26
    dst.write_bytes(bytes(data))


def build_detached(ctx: Context, variant: Variant) -> Prepared:
    """(c) A detached signature over a large binary file (1 GiB; 1 MiB in quick mode)."""
    size = MiB if ctx.quick else GiB
    data = cached(
        ctx.work / f"c-data-{size}.bin",
        {"size": size, "seed": 3},
        lambda p: write_binary(p, size, seed=3),
    )
    key = ctx.gnupg.key(variant.key_algorithm)
    sig = ctx.scratch / f"c-{variant.name}.sig"
    ctx.gnupg.detach_sign(key, data, sig, ctx.digest)
    other = ctx.scratch / "c-other.bin"
    other.write_bytes(b"some other data\n")
    bad_sig = ctx.scratch / f"c-{variant.name}-other.sig"
    ctx.gnupg.detach_sign(key, other, bad_sig, ctx.digest)

    def tools(s: Path) -> list[Tool | tuple[str, str]]:
        sqv = ctx.tool("sqv")
        return [
            ctx.pgpsig("verify", str(data), "--signature", str(s), "--keyring", str(key.cert)),
            _named("gpgv", ctx.gpgv("--keyring", str(key.keyring), str(s), str(data))),
            Tool("sqv", [sqv, "--keyring", str(key.cert), str(s), str(data)], timeout=ctx.timeout)
            if sqv
            else ("sqv", "missing: sqv not installed"),
            _named("pgpy", ctx.pgpy("detached", str(key.cert), str(s), str(data))),
        ]

    good = tools(sig)
    bad = {t.name: t for t in tools(bad_sig) if isinstance(t, Tool)}
    return Prepared(
        title=f"(c) detached signature over {_size(size)} of binary data, {variant.name} key, "
        f"{ctx.digest}",
        input={"bytes": size, "key": variant.key_algorithm, "digest": ctx.digest},
        good=good,
        bad=bad,
        targets=[
            Target(f"(c) verify detached {_size(size)} vs sqv", "pgpsig", "sqv", 1.0, 0.95),
            Target(
                f"(c) verify detached {_size(size)} vs gpgv (earlier target, not issue #16's)",
                "pgpsig",
                "gpgv",
                0.5,
                0.4,
            ),
            rss_target("(c) verify detached"),
        ],
    )


def build_clearsigned(ctx: Context, variant: Variant) -> Prepared:
    """(d) A clear-signed text (~200 MB; ~200 kB in quick mode) with trailing whitespace, CRLF and
    dash-escaped lines."""
    size = 200 * 1000 if ctx.quick else 200 * 1000 * 1000
    text = cached(
        ctx.work / f"d-text-{size}.txt",
        {"size": size, "seed": 5},
        lambda p: write_text(p, size, seed=5),
    )
    key = ctx.gnupg.key(variant.key_algorithm)
    signed = ctx.scratch / f"d-{variant.name}.asc"
    ctx.gnupg.clearsign(key, text, signed, ctx.digest)
    tampered = ctx.scratch / f"d-{variant.name}-tampered.asc"
    tamper_clearsigned(signed, tampered)

    def tools(s: Path) -> list[Tool | tuple[str, str]]:
        sqop = ctx.tool("sqop")
        return [
            ctx.pgpsig("verify", str(s), "--keyring", str(key.cert)),
            _named("gpgv", ctx.gpgv("--keyring", str(key.keyring), str(s))),
            # sqv (1.x) verifies detached signatures only; sqop inline-verify reads the
            # clear-signed text on stdin and writes the text to stdout.
            Tool(
                "sqop",
                [sqop, "inline-verify", str(key.cert)],
                stdin=s,
                timeout=ctx.timeout,
                note="sqop inline-verify (sqv cannot verify clear-signed text)",
            )
            if sqop
            else ("sqop", "missing: sqop not installed"),
            _named("pgpy", ctx.pgpy("clearsigned", str(key.cert), str(s))),
        ]

    good = tools(signed)
    bad = {t.name: t for t in tools(tampered) if isinstance(t, Tool)}
    lines = crlf = 0
    with text.open("rb") as f:
        for line in f:
            lines += 1
            crlf += line.endswith(b"\r\n")
    size_signed = _size(signed.stat().st_size)
    return Prepared(
        title=f"(d) clear-signed text of {size_signed}, {variant.name} key, {ctx.digest}",
        input={
            "bytes": signed.stat().st_size,
            "text_bytes": size,
            "lines": lines,
            "crlf_lines": crlf,
            "key": variant.key_algorithm,
            "digest": ctx.digest,
        },
        good=good,
        bad=bad,
        targets=[
            Target(f"(d) verify clear-signed {size_signed} vs gpgv", "pgpsig", "gpgv", 0.40, 0.30),
            Target(f"(d) verify clear-signed {size_signed} vs sqop", "pgpsig", "sqop", 0.75, 0.6),
            rss_target("(d) verify clear-signed"),
        ],
    )


def _named(name: str, tool: Tool | str) -> Tool | tuple[str, str]:
    return tool if isinstance(tool, Tool) else (name, tool)


# --- module cases: (a) a FreePBX install, (b) one small module, (e) two large files ---------------


def cached_dir(
    path: Path, params: dict[str, Any], write: Callable[[Path], None], *, in_place: bool = False
) -> Path:
    """:func:`cached` for a directory: built whole in a temporary directory, then renamed; or,
    ``in_place`` (a tree whose links name its own absolute paths), built at ``path``, which
    ``write`` makes, the stamp written last."""
    stamp = path.with_name(path.name + ".stamp")
    want = json.dumps({**params, "gen": GEN_VERSION}, sort_keys=True)
    if path.is_dir() and stamp.exists() and stamp.read_text() == want:
        return path
    tmp = path.with_name(path.name + ".tmp")
    for old in (tmp, path, stamp):
        if old.is_dir():
            shutil.rmtree(old)
        elif old.exists():
            old.unlink()
    if in_place:
        write(path)
    else:
        tmp.mkdir(parents=True)
        write(tmp)
        tmp.replace(path)
    stamp.write_text(want)
    return path


def _shape(ctx: Context) -> tuple[list[tuple[str, int]], list[int], str] | str:
    """(modules, file sizes, where they come from), or why there is no shape."""
    if ctx.fleet_shape.is_file():
        modules, sizes = fleet.load_shape(ctx.fleet_shape)
        digest = hashlib.sha256(ctx.fleet_shape.read_bytes()).hexdigest()[:12]
        return modules, sizes, f"{ctx.fleet_shape.name} ({digest})"
    if ctx.quick:
        modules, sizes = fleet.fallback_shape()
        return modules, sizes, "built-in fallback shape (the fleet-shape JSON was not found)"
    return f"missing: {ctx.fleet_shape.name} not found (--fleet-shape)"


def _pgpsig_lib(ctx: Context, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(HERE / "pgpsig_lib.py"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PGPSIG_HOME": str(ctx.empty_home)},
        check=False,
    )


def sign_install(ctx: Context, modules_dir: Path) -> None:
    """Sign every module of ``modules_dir`` with the developer key (pgpsig's library, one process)."""
    r = _pgpsig_lib(ctx, "sign-all", "--key", str(ctx.module_keys().dev_secret), str(modules_dir))
    if r.returncode != 0:
        raise RuntimeError(f"signing {modules_dir.name} failed: {_first_line(r.stderr)}")


def tamper_file(path: Path) -> None:
    """Replace ``path`` (a hard link to a cached input) with a new file of other contents."""
    data = path.read_bytes()
    path.unlink()
    path.write_bytes(bytes([data[0] ^ 1]) + data[1:] if data else b"x")


def _run_dir(ctx: Context, name: str) -> Path:
    """A fresh directory for this run's trees (hard links to the cached inputs), under the work
    directory so that hard links work; emptied at the start of each run."""
    d = ctx.work / f"{name}-run"
    if d.exists():
        shutil.rmtree(d)
    d.mkdir()
    return d


def _pipeline(ctx: Context, name: str, verifier: str, keyring: Path, tree: Path) -> Tool | str:
    missing = [t for t in (verifier, "sha256sum", "sed", "bash") if ctx.tool(t) is None]
    if missing:
        return f"missing: {', '.join(missing)} not installed"
    return Tool(
        name,
        ["bash", str(HERE / "freepbx_check.sh"), verifier, str(keyring), str(tree)],
        env={"GNUPGHOME": str(ctx.empty_home)},
        timeout=ctx.timeout,
        rejects_with=1,
        note=f"per module: {verifier} | sed | sha256sum --quiet --strict -c",
    )


def _pipeline_validator(ctx: Context, tree: Path) -> Callable[[], str | None]:
    """Whether every module.sig of ``tree`` passes the gpgv | sha256sum -c pipeline."""

    def validate() -> str | None:
        t = _pipeline(ctx, "check", "gpgv", ctx.module_keys().keyring, tree)
        if not isinstance(t, Tool):
            return None
        r = measure(t, ctx.scratch)
        if r.exit == 0:
            return None
        return f"its module.sig files fail gpgv | sha256sum -c ({_first_line(r.stderr)})"

    return validate


def _check_tools(ctx: Context, modules: list[Path] | Path) -> list[Tool | tuple[str, str]]:
    """``pgpsig check`` of some module directories, or of every module of a directory."""
    keys = ctx.module_keys()
    where = ["--modules-dir", str(modules)] if isinstance(modules, Path) else map(str, modules)
    return [
        ctx.pgpsig(
            "check",
            *where,
            "--keyring",
            str(keys.dev_cert),
            "--trust-root",
            str(keys.root_cert),
        )
    ]


@dataclass(frozen=True)
class Install:
    """A synthetic install of the fleet shape (cases (a) and (g)): built or reused, signed in this
    run, and a hard-linked copy of it with one file of one module altered."""

    tree: Path  # the signed install, cached under the work directory
    run: Path  # this run's directory for hard-linked copies (the tampered one in it)
    tampered: Path
    plan: list[fleet.ModulePlan]
    described: dict[str, Any]  # the input, for the results

    @property
    def summary(self) -> str:
        d = self.described
        return f"{d['modules']} modules, {d['files']} files, {_size(d['bytes'])}"


def _latest_build(ctx: Context, stem: str, tag: str) -> Path:
    """``stem-tag`` under the work directory, older builds of ``stem`` (other tags) removed: a
    large input is kept once, not once for each version of its parameters."""
    base = ctx.work / f"{stem}-{tag}"
    for old in ctx.work.glob(f"{stem}-*"):
        if old.name not in (base.name, f"{base.name}.stamp"):
            shutil.rmtree(old) if old.is_dir() else old.unlink()
    return base


def fleet_tree(
    ctx: Context, key: str, copies: int = 1
) -> tuple[Path, list[fleet.ModulePlan], dict[str, Any]] | str:
    """The unsigned install of the fleet shape, ``copies`` times over with distinct module names
    (``fleet.replicate``), cached under ``{key}-install-{full|quick}-...``; in quick mode every
    tenth module with a quarter of its files: (its directory, its plan, its description for the
    results), or why there is none ("missing: ..."). Its ``module.sig`` files are whatever the
    last run signed."""
    shape = _shape(ctx)
    if isinstance(shape, str):
        return shape
    modules, sizes, origin = shape
    scale, every = (4, 10) if ctx.quick else (1, 1)
    seed = 13
    plan = fleet.plan_install(modules, sizes, seed=seed, scale=scale, every=every, copies=copies)
    tag = hashlib.sha256(repr((plan, seed)).encode()).hexdigest()[:12]
    base = _latest_build(ctx, f"{key}-install-{'quick' if ctx.quick else 'full'}", tag)
    install = cached_dir(
        base,
        {"origin": origin, "seed": seed, "scale": scale, "every": every, "copies": copies},
        lambda p: fleet.write_install(p, plan, seed),
    )
    described = {
        "shape": origin,
        "copies": copies,
        "modules": len(plan),
        "files": sum(len(m.files) for m in plan),
        "bytes": sum(m.bytes for m in plan),
        "largest_module": max((len(m.files), m.name) for m in plan)[1],
        "seed": seed,
    }
    return install, plan, described


def _tamper_copy(src: Path, dst: Path, plan: list[fleet.ModulePlan]) -> str:
    """A hard-linked copy of the signed install ``src`` at ``dst`` with one file of one module
    (the middle one of ``plan``) altered; the module's name."""
    fleet.mirror(src, dst, with_sig=True)
    victim = plan[len(plan) // 2]
    tamper_file(dst / victim.name / victim.files[len(victim.files) // 2][0])
    return victim.name


def fleet_install(ctx: Context, key: str, copies: int = 1) -> Install | str:
    """:func:`fleet_tree`, signed every run with this run's developer key (``sign_install``:
    pgpsig's library, one process), and a tampered copy. Or why there is none ("missing: ...")."""
    tree = fleet_tree(ctx, key, copies)
    if isinstance(tree, str):
        return tree
    install, plan, described = tree
    sign_install(ctx, install)
    run = _run_dir(ctx, key)
    tampered = run / "tampered"
    victim = _tamper_copy(install, tampered, plan)
    described = {
        **described,
        "tampered_module": victim,
        "key": "ed25519 (pgpsig key generate), certified by a root (pgpsig key certify)",
    }
    return Install(install, run, tampered, plan, described)


def install_check_tools(
    ctx: Context, inst: Install, peers: tuple[str, ...]
) -> tuple[list[Tool | tuple[str, str]], dict[str, Tool]]:
    """``pgpsig check --modules-dir`` and the per-module pipelines ``peers`` (``gpg-pipe``,
    ``sqop-pipe``) on the install, and the same on its tampered copy (which must fail)."""
    keys = ctx.module_keys()
    pipelines = {
        "gpg-pipe": ("gpgv", keys.keyring),
        "sqop-pipe": ("sqop", keys.dev_cert),
    }

    def tools(tree: Path) -> list[Tool | tuple[str, str]]:
        out = _check_tools(ctx, tree)
        for name in peers:
            verifier, keyring = pipelines[name]
            out.append(_named(name, _pipeline(ctx, name, verifier, keyring, tree)))
        return out

    return tools(inst.tree), {t.name: t for t in tools(inst.tampered) if isinstance(t, Tool)}


def build_install(ctx: Context, variant: Variant) -> list[Prepared]:
    """(a) A synthetic FreePBX 16 install (122 modules, 27,448 files; in quick mode every tenth
    module with a quarter of its files): check every module, and sign every module."""
    inst = fleet_install(ctx, "a")
    if isinstance(inst, str):
        gone = [("pgpsig", inst)]
        return [
            Prepared("(a) check a FreePBX 16 install", {}, list(gone), key="a-check"),
            Prepared("(a) sign a FreePBX 16 install", {}, list(gone), key="a-sign"),
        ]
    keys = ctx.module_keys()
    good, bad = install_check_tools(ctx, inst, ("gpg-pipe", "sqop-pipe"))
    check = Prepared(
        title=f"(a) check every module of a FreePBX 16 install: {inst.summary}",
        input=inst.described,
        good=good,
        bad=bad,
        targets=[
            Target("(a) check whole install vs gpg pipeline", "pgpsig", "gpg-pipe", 0.25, 0.20),
            rss_target("(a) check"),
        ],
        key="a-check",
    )
    trees = {}
    for name in ("pgpsig", "pgpsig-lib", "gpg-sign"):
        trees[name] = inst.run / f"sign-{name}"
        fleet.mirror(inst.tree, trees[name], with_sig=False)
    gpg_sign: Tool | tuple[str, str] = (
        Tool(
            "gpg-sign",
            [
                "bash",
                str(HERE / "gpg_sign.sh"),
                str(ctx.gnupg.home),
                keys.fingerprint,
                str(trees["gpg-sign"]),
            ],
            timeout=ctx.timeout,
            note="per module: find | sort | xargs sha256sum | awk, then gpg --clearsign",
            validate=_pipeline_validator(ctx, trees["gpg-sign"]),
        )
        if ctx.tool("sha256sum") and ctx.tool("bash")
        else ("gpg-sign", "missing: sha256sum or bash not installed")
    )
    pgpsig_sign = Tool(
        "pgpsig",
        [
            sys.executable,
            "-m",
            "pgpsig",
            "sign",
            "--modules-dir",
            str(trees["pgpsig"]),
            "--key",
            str(keys.dev_secret),
        ],
        env={"PGPSIG_HOME": str(ctx.empty_home)},
        timeout=ctx.timeout,
        note="one `pgpsig sign --modules-dir DIR` process for every module",
        validate=_pipeline_validator(ctx, trees["pgpsig"]),
    )
    pgpsig_lib = Tool(
        "pgpsig-lib",
        [
            sys.executable,
            str(HERE / "pgpsig_lib.py"),
            "sign-all",
            "--key",
            str(keys.dev_secret),
            str(trees["pgpsig-lib"]),
        ],
        env={"PGPSIG_HOME": str(ctx.empty_home)},
        timeout=ctx.timeout,
        note="pgpsig.modules.sign.sign_module for every module, in one process",
        validate=_pipeline_validator(ctx, trees["pgpsig-lib"]),
    )
    sign = Prepared(
        title=f"(a) sign every module of the same install ({len(inst.plan)} modules, "
        f"{_size(inst.described['bytes'])})",
        input=inst.described,
        good=[pgpsig_sign, pgpsig_lib, gpg_sign],
        targets=[
            Target(
                "(a) sign every module vs sha256sum + gpg --clearsign (earlier target)",
                "pgpsig",
                "gpg-sign",
                0.50,
                0.35,
            ),
            Target(
                "(a) sign, one process (library) vs sha256sum + gpg --clearsign (earlier target)",
                "pgpsig-lib",
                "gpg-sign",
                0.50,
                0.35,
            ),
            rss_target("(a) sign"),
            rss_target("(a) sign, one process (library)", "pgpsig-lib"),
        ],
        key="a-sign",
    )
    return [check, sign]


TEN_COPIES = 10  # issue #16's (f): the install of (a) ten times over


def build_ten_installs(ctx: Context, variant: Variant) -> Prepared:
    """(g), issue #16's (f): the install of (a) ten times over (``fleet.replicate``: 1,220 modules,
    274,480 files, 2.3 GiB; quick: ten copies of (a)'s quick install), checked as in (a) with
    ``pgpsig check --modules-dir`` against the gpgv | sha256sum pipeline. The issue's targets
    compare pgpsig here with pgpsig's check in (a) of the same run: time within 11x, peak RSS
    within 1.2x."""
    title = "(g) = issue #16's (f): check a FreePBX 16 install ten times over"
    inst = fleet_install(ctx, "g", copies=TEN_COPIES)
    if isinstance(inst, str):
        return Prepared(title, {}, [("pgpsig", inst)])
    good, bad = install_check_tools(ctx, inst, ("gpg-pipe",))
    return Prepared(
        title=f"{title}: {inst.summary}",
        input=inst.described,
        good=good,
        bad=bad,
        targets=[
            Target(
                "(g) = #16 (f): check 10x install, time vs (a) check",
                "pgpsig",
                "pgpsig",
                11,
                11,
                across=("a", "a-check"),
            ),
            Target(
                "(g) = #16 (f): check 10x install, peak RSS vs (a) check",
                "pgpsig",
                "pgpsig",
                1.2,
                1.2,
                across=("a", "a-check"),
                rss=True,
            ),
            rss_target("(g) = #16 (f): check 10x install"),
        ],
    )


def build_small_module(ctx: Context, variant: Variant) -> Prepared:
    """(b) One module of 20 small files (sizes drawn from the fleet shape): the cost of start-up."""
    shape = _shape(ctx)
    if isinstance(shape, str):
        modules, sizes = fleet.fallback_shape()
        origin = "built-in fallback shape (the fleet-shape JSON was not found)"
    else:
        modules, sizes, origin = shape
    seed = 17
    plan = fleet.plan_install([("smallmodule", 20)], sizes, seed=seed)
    install = cached_dir(
        ctx.work / "b-install",
        {"origin": origin, "seed": seed, "files": 20},
        lambda p: fleet.write_install(p, plan, seed),
    )
    keys = ctx.module_keys()
    sign_install(ctx, install)
    run = _run_dir(ctx, "b")
    tampered = run / "tampered"
    fleet.mirror(install, tampered, with_sig=True)
    tamper_file(tampered / "smallmodule" / plan[0].files[7][0])

    def tools(tree: Path) -> list[Tool | tuple[str, str]]:
        return [
            *_check_tools(ctx, [tree / "smallmodule"]),
            Tool("python", [sys.executable, "-c", "pass"], timeout=ctx.timeout),
            _named("gpg-pipe", _pipeline(ctx, "gpg-pipe", "gpgv", keys.keyring, tree)),
        ]

    return Prepared(
        title=f"(b) check one module of 20 small files ({_size(plan[0].bytes)}), cold process",
        input={"shape": origin, "files": 20, "bytes": plan[0].bytes, "seed": seed},
        good=tools(install),
        bad={t.name: t for t in tools(tampered) if isinstance(t, Tool) and t.name != "python"},
        targets=[
            Target("(b) check one small module vs python3 -c pass", "pgpsig", "python", 5, 4),
            rss_target("(b) check one small module"),
        ],
    )


def build_two_large(ctx: Context, variant: Variant) -> Prepared:
    """(e) Hashing two files of 512 MiB (4 MiB in quick mode): a module holding them."""
    size = 4 * MiB if ctx.quick else 512 * MiB

    def write(d: Path) -> None:
        (d / "bigmodule").mkdir()
        write_binary(d / "bigmodule" / "a.bin", size, seed=7)
        write_binary(d / "bigmodule" / "b.bin", size, seed=8)

    install = cached_dir(ctx.work / f"e-install-{size}", {"size": size, "seeds": [7, 8]}, write)
    sign_install(ctx, install)
    module = install / "bigmodule"
    files = [module / "a.bin", module / "b.bin"]
    run = _run_dir(ctx, "e")
    tampered = run / "bigmodule"
    tampered.mkdir()
    os.link(module / "module.sig", tampered / "module.sig")
    os.link(files[0], tampered / "a.bin")
    os.link(files[0], tampered / "b.bin")  # same size, other contents
    openssl = ctx.tool("openssl")

    def validate_digests() -> str | None:
        if openssl is None:
            return None
        r = _pgpsig_lib(ctx, "digest", *map(str, files))
        o = subprocess.run(
            [openssl, "dgst", "-sha256", "-r", *map(str, files)],
            capture_output=True,
            text=True,
            check=False,
        )
        mine = [line.split()[0] for line in r.stdout.splitlines()]
        theirs = [line.split()[0] for line in o.stdout.splitlines()]
        return None if mine == theirs else "digests differ from openssl's"

    good: list[Tool | tuple[str, str]] = [
        *_check_tools(ctx, [module]),
        Tool(
            "pgpsig-lib",
            [sys.executable, str(HERE / "pgpsig_lib.py"), "digest", *map(str, files)],
            timeout=ctx.timeout,
            note="pgpsig.hashing.digest_files of both files in a fresh process",
            validate=validate_digests,
        ),
        Tool(
            "openssl",
            [openssl, "dgst", "-sha256", str(files[0])],
            timeout=ctx.timeout,
            note="one of the two files",
        )
        if openssl
        else ("openssl", "missing: openssl not installed"),
        Tool("sha256sum", ["sha256sum", *map(str, files)], timeout=ctx.timeout, note="both files")
        if ctx.tool("sha256sum")
        else ("sha256sum", "missing: sha256sum not installed"),
    ]
    bad = {t.name: t for t in _check_tools(ctx, [tampered]) if isinstance(t, Tool)}
    return Prepared(
        title=f"(e) hash 2 files of {_size(size)}: a module holding them",
        input={"files": 2, "bytes_each": size, "seeds": [7, 8]},
        good=good,
        bad=bad,
        targets=[
            Target(
                f"(e) pgpsig check of a module of 2 x {_size(size)} vs openssl dgst of one file",
                "pgpsig",
                "openssl",
                1.0,
                0.9,
            ),
            Target(
                f"(e) digest_files of 2 x {_size(size)} (fresh process) vs openssl dgst of one",
                "pgpsig-lib",
                "openssl",
                1.0,
                0.9,
            ),
            rss_target("(e) check a module of 2 large files"),
            rss_target("(e) digest_files of 2 large files", "pgpsig-lib"),
        ],
    )


def _anatomy_source(ctx: Context) -> tuple[dict[str, Any], str] | str:
    """(the anatomy, where it comes from), or why there is none."""
    if ctx.anatomy.is_file():
        digest = hashlib.sha256(ctx.anatomy.read_bytes()).hexdigest()[:12]
        return anatomy.load_anatomy(ctx.anatomy), f"{ctx.anatomy.name} ({digest})"
    if ctx.quick:
        return anatomy.fallback_anatomy(), "built-in miniature anatomy (the JSON was not found)"
    return f"missing: {ctx.anatomy.name} not found (--anatomy)"


def _statuses(doc: dict[str, Any]) -> dict[str, int]:
    return {m["module"]: m["status"] for m in doc["modules"]}


def _webroot_verdict(
    tool: Tool, web: anatomy.Webroot, victim: tuple[str, str] | None
) -> Callable[[], str | None]:
    """Whether ``pgpsig check`` of ``web`` says what it must (run once more, with ``--json``):
    every signed module 129 but ``victim`` (module, entry), which must be reported altered; each
    module with an empty module.sig 4; nothing else checked (``_cache``); exit 0 (the empty
    module.sig fails nothing with the preset), 1 with a victim. A run without ``--json`` must exit
    as the run with it does."""

    def judge() -> str | None:
        argv = tool.argv if "--json" in tool.argv else [*tool.argv, "--json"]
        env = {**os.environ, **(tool.env or {})}
        r = subprocess.run(argv, capture_output=True, env=env, check=False)
        if r.returncode not in (0, 1):
            return f"exit {r.returncode}: {_first_line(r.stderr.decode(errors='replace'))}"
        if argv is not tool.argv:
            plain = subprocess.run(tool.argv, capture_output=True, env=env, check=False)
            if plain.returncode != r.returncode:
                return f"exit {plain.returncode} without --json, {r.returncode} with it"
        if r.returncode != (victim is not None):
            return f"exit {r.returncode}, want {int(victim is not None)}"
        doc = json.loads(r.stdout)
        got = _statuses(doc)
        want = dict.fromkeys(web.signed, 129) | dict.fromkeys(web.empty_sig, 4)
        if victim is not None:
            name, entry = victim
            m = next((m for m in doc["modules"] if m["module"] == name), None)
            if m is None or m["status"] & 1 or entry not in str(m["files"]["altered"]):
                return f"did not report {name}/{entry} altered"
            want[name] = got.get(name, 0)
        wrong = sorted(n for n in set(got) | set(want) if got.get(n) != want.get(n))
        if wrong:
            return "; ".join(f"{n}: {got.get(n)} (want {want.get(n)})" for n in wrong[:3])
        return None

    return judge


def build_webroot(ctx: Context, variant: Variant) -> Prepared:
    """(f) A FreePBX webroot shaped like a real one (``anatomy.py`` from webroot-anatomy.json and
    the fleet shape: real counts of listed and unlisted files, 198 links, ``_cache``, an empty
    module.sig, the framework installed; in quick mode 5 % of the files): ``pgpsig check
    --freepbx-webroot`` with and without ``--json`` against the gpgv | sha256sum pipeline over
    the modules with a non-empty module.sig, framework's files where they are installed."""
    title = "(f) check a FreePBX webroot shaped like the real one"
    source = _anatomy_source(ctx)
    shape = _shape(ctx)
    if isinstance(source, str) or isinstance(shape, str):
        why = source if isinstance(source, str) else str(shape)
        return Prepared(title, {}, [("pgpsig", why), ("pgpsig-text", why)])
    doc, origin = source
    modules, sizes, shape_origin = shape
    scale = 0.05 if ctx.quick else 1.0
    seed = 14
    builder = hashlib.sha256(b"".join((HERE / f).read_bytes() for f in ("anatomy.py", "fleet.py")))
    params = {
        "anatomy": origin,
        "shape": shape_origin,
        "scale": scale,
        "seed": seed,
        "builder": builder.hexdigest()[:12],  # anatomy.py changed: built anew
    }
    tag = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:12]
    size = "quick" if ctx.quick else "full"
    base = _latest_build(ctx, f"f-webroot-{size}", tag)  # older builds (full: 1.3 GB) removed
    web = anatomy.plan(
        doc,
        base,
        scale=scale,
        shape=(modules, sizes),
        seed=seed,
        sources={"anatomy": origin, "shape": shape_origin},
    )
    keys = anatomy.make_keys()  # fixed seed and clock: the cached tree's signatures stay valid
    cached_dir(
        base, {**params, "base": str(base)}, lambda _p: anatomy.write(web, keys), in_place=True
    )
    keyring = ctx.scratch / "f-dev.gpg"
    ctx.gnupg.run("--import", str(_write(ctx.scratch / "f-dev.asc", keys.dev_cert)))
    ctx.gnupg.run("--export", keys.dev_fingerprint, stdout=keyring)
    run = _run_dir(ctx, "f")
    bad = anatomy.mirror(web, run / "tampered")
    victim = next(n for n in ("core", *bad.signed) if n in bad.signed and n != "framework")
    entries = bad.module(victim).entries
    entry = next((e for e in entries if e.endswith(".php") and "/" not in e), entries[0])
    tamper_file(bad.installed(victim, entry))

    def tools(w: anatomy.Webroot, hit: tuple[str, str] | None) -> list[Tool | tuple[str, str]]:
        args = ["check", *w.check_args(), "--trust-root", keys.master_fingerprint]
        with_json = ctx.pgpsig(*args, "--json")
        text = Tool("pgpsig-text", ctx.pgpsig(*args).argv, env=with_json.env, timeout=ctx.timeout)
        quick = Tool(
            "pgpsig-no-unlisted",
            ctx.pgpsig(*args, "--no-unlisted", "--json").argv,
            env=with_json.env,
            timeout=ctx.timeout,
        )
        for t, how in (
            (with_json, "--json > /dev/null"),
            (text, "human output > /dev/null"),
            (quick, "--no-unlisted --json > /dev/null (no walk for unlisted files)"),
        ):
            t.note = f"pgpsig check --freepbx-webroot ... {how}"
            t.ok_exits = (0, 1)  # 1 with the altered file; which one, when, is judged by validate
            t.validate = _webroot_verdict(t, w, hit)
        pipe = _pipeline(ctx, "gpg-pipe", "gpgv", keyring, w.modules_dir)
        if isinstance(pipe, Tool):
            pipe.argv += [str(w.webroot), str(w.paths["AMPBIN"]), str(w.paths["ASTAGIDIR"])]
            pipe.note += "; modules with a non-empty module.sig, framework's files where installed"
        return [with_json, text, quick, _named("gpg-pipe", pipe)]

    counts = web.counts()
    return Prepared(
        title=f"{title}: {counts['modules']} modules, {counts['listed_files']} listed files "
        f"({_size(counts['listed_bytes'])}), {counts['unlisted_files']} unlisted, "
        f"{sum(counts['links'].values())} links",
        input={**counts, "tampered_module": victim, "tampered_entry": entry},
        good=tools(web, None),
        bad={t.name: t for t in tools(bad, (victim, entry)) if isinstance(t, Tool)},
        targets=[
            Target("(f) check webroot --json vs gpg pipeline", "pgpsig", "gpg-pipe", 0.30, 0.25),
            Target("(f) check webroot vs gpg pipeline", "pgpsig-text", "gpg-pipe", 0.30, 0.25),
            Target(
                "(f) check webroot --no-unlisted --json vs gpg pipeline",
                "pgpsig-no-unlisted",
                "gpg-pipe",
                0.30,
                0.25,
            ),
            rss_target("(f) check webroot --json"),
            rss_target("(f) check webroot", "pgpsig-text"),
            rss_target("(f) check webroot --no-unlisted --json", "pgpsig-no-unlisted"),
        ],
    )


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _has_verdict_cache(ctx: Context) -> bool:
    """Whether this pgpsig's ``check`` has the SHA-1 verdict cache (``--cache-dir``,
    ``--no-cache``)."""
    r = subprocess.run(
        [sys.executable, "-m", "pgpsig", "check", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "PGPSIG_HOME": str(ctx.empty_home), "COLUMNS": "200"},
        check=False,
    )
    return "--cache-dir" in r.stdout and "--no-cache" in r.stdout


def _manifest_sizes(modules_dir: Path) -> dict[str, int]:
    """The size of each non-empty ``module.sig`` of the module directories of ``modules_dir`` (a
    stock install has one empty one, ``iub24``'s, which signs nothing)."""
    out = {}
    for d in sorted(modules_dir.iterdir()):
        sig = d / "module.sig"
        if sig.is_file() and sig.stat().st_size > 0:
            out[d.name] = sig.stat().st_size
    return out


def _compare_sizes(mine: dict[str, int], real: dict[str, int]) -> dict[str, Any]:
    """Case (h)'s manifests next to the real ones: totals, largest, and module for module."""

    def summary(sizes: dict[str, int]) -> dict[str, Any]:
        largest = max(sizes.items(), key=lambda kv: kv[1])
        return {"modules": len(sizes), "bytes": sum(sizes.values()), "largest": list(largest)}

    out: dict[str, Any] = {"synthetic": summary(mine)}
    if real:
        out["real"] = summary(real)
        out["bytes_over_real"] = round(out["synthetic"]["bytes"] / out["real"]["bytes"], 3)
        both = sorted(set(mine) & set(real))
        if both:
            ratios = [mine[n] / real[n] for n in both]
            out["same_modules"] = len(both)
            out["median_module_over_real"] = round(statistics.median(ratios), 3)
    return out


def build_sha1(ctx: Context, variant: Variant) -> Prepared:
    """(h) The install of (a) with every ``module.sig`` signed with SHA-1, as FreePBX's mirrors
    sign (``pgpsig_lib.py sign-sha1``: pgpsig's signing code let to use SHA-1 in that process
    only), checked with ``--policy freepbx-legacy``: the cost of SHA-1 collision detection
    (``pgpsig.openpgp.sha1dc``) over manifests of real size, against the check without it
    (``today``: ``sha1_plain.py``, plain hashlib SHA-1 in the bench's process only), and with the
    verdict cache empty (``pgpsig``, a fresh ``--cache-dir`` each run), filled by an earlier run
    (``pgpsig-repeated``) or off (``pgpsig-no-cache``). Before pgpsig has the cache, ``pgpsig``
    is the check with detection and nothing cached, and the other two rows are missing."""
    title = "(h) check the install of (a) signed with SHA-1"
    tree = fleet_tree(ctx, "a")  # (a)'s cached install: the same files, built once for both
    if isinstance(tree, str):
        return Prepared(title, {}, [("pgpsig", tree), ("today", tree)])
    source, plan, described = tree
    run = _run_dir(ctx, "h")
    install = run / "install"
    fleet.mirror(source, install, with_sig=False)
    keys = anatomy.make_keys(seed="sha1bench")  # fixed seed and clock: the same signatures
    d = ctx.scratch / "h-keys"
    d.mkdir(exist_ok=True)
    dev_secret = _write(d / "dev.sec.asc", keys.dev_secret)
    dev_cert = _write(d / "dev.asc", keys.dev_cert)
    root_cert = _write(d / "root.asc", keys.master_cert)
    signed = _pgpsig_lib(
        ctx, "sign-sha1", "--key", str(dev_secret), "--at", anatomy.CLOCK.isoformat(), str(install)
    )
    if signed.returncode != 0:
        raise RuntimeError(f"signing with SHA-1 failed: {_first_line(signed.stderr)}")
    tampered = run / "tampered"
    victim = _tamper_copy(install, tampered, plan)
    cache = _has_verdict_cache(ctx)
    # Every row writes its cache where it is told, or nowhere: never in the user's cache directory
    # (and, should a default be taken after all, it lands here, which the validation looks at).
    default_cache = ctx.scratch / "h-xdg-cache"
    default_cache.mkdir(exist_ok=True)
    env = {"PGPSIG_HOME": str(ctx.empty_home), "XDG_CACHE_HOME": str(default_cache)}
    args = ["--keyring", str(dev_cert), "--trust-root", str(root_cert)]
    args += ["--policy", "freepbx-legacy"]
    seen: dict[str, tuple[str, str]] = {}

    def fresh(where: Path) -> Callable[[], None]:
        def empty() -> None:
            shutil.rmtree(where, ignore_errors=True)
            where.mkdir(mode=0o700)

        return empty

    def tools(tree: Path, tag: str) -> list[Tool | tuple[str, str]]:
        check = ["check", "--modules-dir", str(tree), *args]
        no_cache = ["--no-cache"] if cache else []
        today = Tool(
            "today",
            [sys.executable, str(HERE / "sha1_plain.py"), *check, *no_cache],
            env=env,
            timeout=ctx.timeout,
            rejects_with=1,
            note="pgpsig check with plain hashlib SHA-1 (sha1_plain.py): no collision detection",
        )
        first = ctx.pgpsig(*check)
        first.env = env
        out: list[Tool | tuple[str, str]] = [first]
        if cache:
            where = ctx.scratch / f"h-cache-first-{tag}"
            first.argv += ["--cache-dir", str(where)]
            first.before = fresh(where)
            first.note = "SHA-1 collision detection, an empty --cache-dir each run"
            repeated = Tool(
                "pgpsig-repeated",
                [*ctx.pgpsig(*check).argv, "--cache-dir", str(ctx.scratch / "h-cache-filled")],
                env=env,
                timeout=ctx.timeout,
                rejects_with=1,
                note="SHA-1 collision detection, --cache-dir filled by an earlier run",
            )
            off = Tool(
                "pgpsig-no-cache",
                [*ctx.pgpsig(*check).argv, "--no-cache"],
                env=env,
                timeout=ctx.timeout,
                rejects_with=1,
                note="SHA-1 collision detection, --no-cache",
            )
            out += [repeated, off, today]
        else:
            first.note = "SHA-1 collision detection (this pgpsig has no verdict cache)"
            why = "missing: this pgpsig's check has no --cache-dir (no verdict cache)"
            out += [("pgpsig-repeated", why), ("pgpsig-no-cache", why), today]
        return out

    def verdicts(tool: Tool) -> Callable[[], str | None]:
        """One more run with ``--json``: exit 0, every module good (129) with a SHA-1 signature,
        the same verdicts as every other row, and nothing in the default cache directory."""

        def judge() -> str | None:
            if tool.before is not None:
                tool.before()
            r = subprocess.run(
                [*tool.argv, "--json"],
                capture_output=True,
                env={**os.environ, **(tool.env or {})},
                check=False,
            )
            if r.returncode != 0:
                why = _first_line(r.stderr.decode(errors="replace"))
                return f"exit {r.returncode} with --json: {why}"
            modules = json.loads(r.stdout)["modules"]
            bad = [
                m["module"]
                for m in modules
                if m["status"] != 129 or m["signature"]["hash_algorithm"] != "SHA1"
            ]
            if len(modules) != len(plan) or bad:
                return f"{len(modules)} modules, not good or not SHA-1: {', '.join(bad[:3])}"
            text = json.dumps(modules, sort_keys=True)
            name, other = seen.setdefault("modules", (tool.name, text))
            if other != text:
                return f"verdicts differ from {name}'s"
            if any(default_cache.iterdir()):
                return "something was written in the default cache directory"
            return None

        return judge

    good = tools(install, "good")
    for t in good:
        if isinstance(t, Tool):
            t.validate = verdicts(t)
    if cache:  # the repeated row's cache, filled by one run on the same input (not measured)
        fill = next(t for t in good if isinstance(t, Tool) and t.name == "pgpsig-repeated")
        r = subprocess.run(fill.argv, capture_output=True, env={**os.environ, **env}, check=False)
        if r.returncode != 0:
            raise RuntimeError(f"filling the cache failed: {_first_line(r.stderr.decode())}")
    real = ctx.real_manifests
    sizes = _compare_sizes(_manifest_sizes(install), _manifest_sizes(real) if real.is_dir() else {})
    if real.is_dir():
        sizes["real"]["source"] = real.name
    mib = sizes["synthetic"]["bytes"] / MiB
    return Prepared(
        title=f"{title}: {len(plan)} manifests of {mib:.2f} MiB "
        f"({sizes.get('bytes_over_real', 0):.0%} of the real ones), {described['files']} files, "
        f"{_size(described['bytes'])}",
        input={
            **described,
            "manifests": sizes,
            "signature": "SHA1, clear-signed (pgpsig's signing code, pgpsig_lib.py sign-sha1)",
            "signed_at": anatomy.CLOCK.isoformat(),
            "key": "ed25519 developer key certified by a root, from fixed seeds (as in (f))",
            "policy": "freepbx-legacy",
            "verdict_cache": cache,
            "tampered_module": victim,
        },
        good=good,
        bad={t.name: t for t in tools(tampered, "bad") if isinstance(t, Tool)},
        targets=[
            Target(
                "(h) = #18: first check, SHA-1 detection, empty cache, minus today",
                "pgpsig",
                "today",
                3.0,
                3.0,
                difference=True,
            ),
            Target(
                "(h) = #18: repeated check (cache filled) vs today",
                "pgpsig-repeated",
                "today",
                1.05,
                1.05,
            ),
            rss_target("(h) first check"),
            rss_target("(h) repeated check", "pgpsig-repeated"),
            rss_target("(h) check --no-cache", "pgpsig-no-cache"),
        ],
    )


VARIANTS = (Variant("ed25519", "ed25519"), Variant("rsa4096", "rsa4096"))
ED25519_ONLY = VARIANTS[:1]  # module cases: keys made by `pgpsig key generate` (Ed25519)

# The extension point: a case is a builder plus the key variants it runs with.
CASES: dict[str, Case] = {
    "a": Case("a FreePBX 16 install: check and sign every module", build_install, ED25519_ONLY),
    "b": Case("one small module, cold process", build_small_module, ED25519_ONLY),
    "c": Case("detached signature over a large file", build_detached, VARIANTS),
    "d": Case("clear-signed large text", build_clearsigned, VARIANTS),
    "e": Case("two large files in a module", build_two_large, ED25519_ONLY),
    "f": Case("a FreePBX webroot shaped like the real one", build_webroot, ED25519_ONLY),
    "g": Case(
        "issue #16's (f): the install of (a) ten times over",
        build_ten_installs,
        ED25519_ONLY,
        full_only=True,
    ),
    "h": Case(
        "the install of (a) signed with SHA-1: the cost of collision detection",
        build_sha1,
        ED25519_ONLY,
        full_only=True,
    ),
}


# --- running a case, reporting --------------------------------------------------------------------


def run_case(
    ctx: Context,
    prepared: Prepared,
    reps: int,
    negative: bool,
    earlier: dict[str, dict[str, dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """Run ``prepared``'s tools, interleaved, and judge its targets; ``earlier``: the rows, by
    tool, of the cases already run with the same key variant, by their key in the results (for
    targets ``across`` cases)."""
    load_before = os.getloadavg()[0]
    tools = [t for t in prepared.good if isinstance(t, Tool)]
    runs: dict[str, list[Run]] = {t.name: [] for t in tools}
    dropped: set[str] = set()
    if ctx.warmup:  # bytecode caches, page cache, gpg-agent: every tool starts warm
        for t in tools:
            first = measure(t, ctx.scratch)
            if first.timed_out:
                runs[t.name].append(first)
                dropped.add(t.name)
    for _ in range(reps):  # interleaved, so drifting load spreads over every tool
        for t in tools:
            if t.name in dropped:
                continue
            one = measure(t, ctx.scratch)
            runs[t.name].append(one)
            if one.timed_out or one.exit not in t.ok_exits:
                dropped.add(t.name)  # a failing or timed-out tool is not run again
    rows: list[dict[str, Any]] = []
    for entry in prepared.good:
        if not isinstance(entry, Tool):
            rows.append({"tool": entry[0], "status": entry[1], "runs": []})
            continue
        t = entry
        rs = runs[t.name]
        row: dict[str, Any] = {
            "tool": t.name,
            "argv": _portable(t.argv),
            "note": t.note,
            "runs": [_run_json(r) for r in rs],
        }
        last = rs[-1]
        if last.timed_out:
            row["status"] = f"timeout (> {t.timeout:g} s)"
        elif last.exit not in t.ok_exits:
            first = _first_line(last.stderr) or f"exit {last.exit}"
            if t.rejects_with is not None and last.exit == t.rejects_with:
                row["status"] = f"wrong answer: rejected a good signature ({first})"
            else:
                row["status"] = f"failed: {first}"
        else:
            row["status"] = "ok"
            row["wall_s"] = statistics.median(r.wall_s for r in rs)
            row["wall_min_s"] = min(r.wall_s for r in rs)
            row["cpu_s"] = statistics.median(r.user_s + r.sys_s for r in rs)
            row["maxrss_mib"] = statistics.median(r.maxrss_kib for r in rs) / 1024
            if t.validate is not None:
                wrong = t.validate()
                row["validation"] = wrong or "ok"
                if wrong:
                    row["status"] = f"wrong answer: {wrong}"
            if negative and t.name in prepared.bad:
                bad = prepared.bad[t.name]
                b = measure(bad, ctx.scratch)
                row["bad_input"] = _run_json(b)
                wrong = None
                if not b.timed_out:
                    if bad.validate is not None:
                        wrong = bad.validate()
                    elif b.exit == 0:
                        wrong = "accepted a bad signature"
                if b.timed_out:
                    row["bad_input_verdict"] = "timeout"
                elif wrong is not None:
                    row["status"] = f"wrong answer: {wrong}"
                    row["bad_input_verdict"] = "accepted"
                else:
                    row["bad_input_verdict"] = "rejected"
        rows.append(row)
    by_name = {r["tool"]: r for r in rows}
    base = by_name.get("pgpsig")
    base = base if base is not None and base["status"] == "ok" else None
    for peer in rows:
        if base is not None and not peer["tool"].startswith("pgpsig") and peer["status"] == "ok":
            peer["pgpsig_over_peer_wall"] = base["wall_s"] / peer["wall_s"]
            peer["pgpsig_over_peer_rss"] = base["maxrss_mib"] / peer["maxrss_mib"]
    return {
        "case": prepared.key,
        "title": prepared.title,
        "input": prepared.input,
        "reps": reps,
        # Other work on the machine: the 1-minute load average before and after the case.
        "loadavg": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "results": rows,
        "targets": [_judge(t, by_name, earlier or {}) for t in prepared.targets],
    }


def _judge(
    target: Target, rows: dict[str, dict[str, Any]], earlier: dict[str, dict[str, dict[str, Any]]]
) -> dict[str, Any]:
    """A target as measured: the value, and whether the target and the stretch are met.

    The peer's row is in ``rows`` (this case's), or, for a target ``across`` cases, in that case
    of ``earlier``; a target whose case was not run has no value ("missing: needs case a")."""
    if target.peer is None:
        measure = "peak RSS MiB"
    elif target.difference:
        measure = "wall time difference tool - peer, s"
    else:
        measure = f"{'peak RSS' if target.rss else 'wall time'} ratio tool/peer"
    out: dict[str, Any] = {
        "label": target.label,
        "tool": target.tool,
        "peer": target.peer,
        "measure": measure,
        "target": target.limit,
        "stretch": target.stretch,
        "value": None,
        "met": None,
        "stretch_met": None,
    }
    peer_rows = rows
    if target.across is not None:
        out["peer_case"] = target.across[1]
        if target.across[1] not in earlier:
            out["why_no_value"] = f"missing: needs case {target.across[0]}"
            return out
        peer_rows = earlier[target.across[1]]
    named = [(target.tool, rows)] + ([(target.peer, peer_rows)] if target.peer else [])
    bad = [(n, r) for n, r in named if r.get(n, {}).get("status") != "ok"]
    if bad:
        out["why_no_value"] = "; ".join(
            f"{n}: {r.get(n, {}).get('status', 'absent')}" for n, r in bad
        )
        return out
    tool = rows[target.tool]
    peer = peer_rows[target.peer] if target.peer else None
    if peer is None:
        value = tool["maxrss_mib"]
    elif target.rss:
        value = tool["maxrss_mib"] / peer["maxrss_mib"]
    elif target.difference:
        value = tool["wall_s"] - peer["wall_s"]
        out["cpu_difference_s"] = tool["cpu_s"] - peer["cpu_s"]
    else:
        value = tool["wall_s"] / peer["wall_s"]
    out.update(value=value, met=value <= target.limit, stretch_met=value <= target.stretch)
    if peer is not None and not target.rss and peer["cpu_s"] > 0:
        # Not a target: CPU time is what contention on a shared machine inflates least.
        out["cpu_ratio"] = tool["cpu_s"] / peer["cpu_s"]
    return out


def _rss_measure(t: dict[str, Any]) -> bool:
    """Whether a judged target compares peak RSS (a figure in MiB, or a ratio of two)."""
    return bool(t["measure"].startswith("peak RSS"))


def _difference(t: dict[str, Any]) -> bool:
    """Whether a judged target is a difference of wall times in seconds, not a ratio."""
    return bool(t["measure"].startswith("wall time difference"))


def _limit(t: dict[str, Any], key: str) -> str:
    """A target's limit (``target`` or ``stretch``) with its unit: "40 MiB", "1.05x", "+3 s"."""
    if t["peer"] is None:
        return f"{t[key]:g} MiB"
    return f"+{t[key]:g} s" if _difference(t) else f"{t[key]:g}x"


def _value(t: dict[str, Any]) -> str:
    """A judged target's value with its unit: "30.4 MiB", "0.31x", "+1.52 s"."""
    if t["peer"] is None:
        return f"{t['value']:.1f} MiB"
    return f"{t['value']:+.2f} s" if _difference(t) else f"{t['value']:.2f}x"


def _verdict(t: dict[str, Any]) -> str:
    if t["value"] is None:
        return f"n/a ({t['why_no_value']})" if t.get("why_no_value") else "n/a"

    def yes(m: bool) -> str:
        return "met" if m else "not met"

    return (
        f"<= {_limit(t, 'target')} {yes(t['met'])}, "
        f"stretch {_limit(t, 'stretch')} {yes(t['stretch_met'])}"
    )


def _run_json(r: Run) -> dict[str, Any]:
    return {
        "exit": r.exit,
        "wall_s": round(r.wall_s, 4),
        "user_s": round(r.user_s, 4),
        "sys_s": round(r.sys_s, 4),
        "maxrss_kib": r.maxrss_kib,
        "stderr_first_line": _first_line(r.stderr),
    }


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")[:200]


def _portable(argv: list[str]) -> list[str]:
    """The command line with this machine's paths reduced to file names (for the JSON)."""
    return [Path(a).name if os.sep in a else a for a in argv]


def _size(n: int) -> str:
    for unit, div in (("GiB", GiB), ("MiB", MiB), ("KiB", 1024)):
        if n >= div:
            return f"{n / div:.2f} {unit}"
    return f"{n} B"


def _row_targets(result: dict[str, Any], tool: str) -> str:
    """The targets shown in ``tool``'s row: pgpsig's ratio targets on the peer's row (next to the
    ratio); targets of other pgpsig rows, targets across cases and RSS targets on their own row."""
    out = []
    for t in result["targets"]:
        across = t.get("peer_case")
        if t["peer"] is None and t["tool"] == tool:
            out.append(f"RSS {_verdict(t)}")
        elif t["peer"] == tool and t["tool"] == "pgpsig" and not across:
            out.append(_verdict(t))
        elif t["peer"] is not None and t["tool"] == tool and (across or tool != "pgpsig"):
            what = "RSS " if _rss_measure(t) else "time " if across else ""
            value = f"{_value(t)} " if t["value"] is not None else ""
            of = f"{across}'s {t['peer']}" if across else t["peer"]
            out.append(f"{what}{value}of {of}: {_verdict(t)}")
    return "; ".join(out)


def print_case(result: dict[str, Any]) -> None:
    load = "-".join(f"{x:.1f}" for x in result["loadavg"])
    print(f"\n{result['title']}  (median of {result['reps']}; load average {load})")
    w = max([10, *(len(r["tool"]) for r in result["results"])])
    head = (
        f"  {'tool':{w}} {'wall':>8} {'min':>8} {'cpu':>8} {'peak RSS':>10} "
        f"{'pgpsig/peer':>11} {'RSS ratio':>9}  status; targets"
    )
    print(head)
    print("  " + "-" * (len(head) - 2))
    for r in result["results"]:
        targets = _row_targets(result, r["tool"])
        status = r["status"] + (f"; {targets}" if targets else "")
        if "wall_s" in r:
            ratio = (
                f"{r['pgpsig_over_peer_wall']:10.2f}x {r['pgpsig_over_peer_rss']:8.2f}x"
                if "pgpsig_over_peer_wall" in r
                else f"{'':11} {'':9}"
            )
            print(
                f"  {r['tool']:{w}} {r['wall_s']:7.3f}s {r['wall_min_s']:7.3f}s "
                f"{r['cpu_s']:7.2f}s {r['maxrss_mib']:6.1f} MiB {ratio}  {status}"
            )
        else:
            print(
                f"  {r['tool']:{w}} {'-':>8} {'-':>8} {'-':>8} {'-':>10} {'':11} {'':9}  {status}"
            )


def summary_lines(results: list[dict[str, Any]]) -> list[str]:
    """The targets of every case, as a Markdown table (printed at the end, pasted in README)."""
    lines = [
        "| target | variant | pgpsig | peer | measured | target | met | stretch | met | CPU ratio |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    by_case = {
        (c.get("case"), c.get("variant")): {r["tool"]: r for r in c["results"]} for c in results
    }
    for result in results:
        rows = {r["tool"]: r for r in result["results"]}
        for t in result["targets"]:
            mine = rows.get(t["tool"], {})
            across = t.get("peer_case")
            peer_rows = by_case.get((across, result.get("variant")), {}) if across else rows
            peer = peer_rows.get(t["peer"], {}) if t["peer"] else {}
            rss = _rss_measure(t)
            peer_cell = f"{across}'s {_cell(peer, rss)}" if across and peer else _cell(peer, rss)
            if t["value"] is None:
                shown, met, smet = f"n/a ({t.get('why_no_value', '')})", "-", "-"
            else:
                shown = _value(t)
                met = "met" if t["met"] else "not met"
                smet = "met" if t["stretch_met"] else "not met"
            cpu = f"{t['cpu_ratio']:.2f}x" if "cpu_ratio" in t else "-"
            if "cpu_difference_s" in t:
                cpu += f" ({t['cpu_difference_s']:+.2f} s)"
            lines.append(
                f"| {t['label']} | {result.get('variant', '')} | {_cell(mine, rss)} "
                f"| {peer_cell if t['peer'] else '-'} | {shown} "
                f"| <= {_limit(t, 'target')} | {met} | <= {_limit(t, 'stretch')} | {smet} | {cpu} |"
            )
    return lines


def markdown(doc: dict[str, Any]) -> str:
    """A results file as Markdown: machine, then one table per case, then the targets."""
    meta = doc["meta"]
    v = meta["versions"]
    out = [
        f"Measured {meta['when'][:10]} on {meta['cpus']} cores ({meta['machine']}, "
        f"{meta['system']}), median of {meta['reps']}"
        f"{' after a warm-up run' if meta.get('warmup') else ''}; Python "
        f"{v.get('python')}, {v.get('gpgv', 'gpgv ?')}, {v.get('sqv', 'sqv ?')}, "
        f"{v.get('sqop', 'sqop ?')}, {v.get('PGPy', 'PGPy ?')}; {meta['seconds']:.0f} s in all.",
        "",
        "| case | tool | wall (median) | wall (min) | CPU | peak RSS | pgpsig/peer | status |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in doc["cases"]:
        load = "-".join(f"{x:.1f}" for x in c.get("loadavg", []))
        title = f"{c['title']} (load {load})" if load else c["title"]
        if not c["results"]:
            out.append(f"| {title} | | | | | | | {c.get('status', '')} |")
        for i, r in enumerate(c["results"]):
            head = title if i == 0 else ""
            if "wall_s" not in r:
                out.append(f"| {head} | {r['tool']} | - | - | - | - | | {r['status']} |")
                continue
            ratio = f"{r['pgpsig_over_peer_wall']:.2f}x" if "pgpsig_over_peer_wall" in r else ""
            out.append(
                f"| {head} | {r['tool']} | {r['wall_s']:.3f} s | {r['wall_min_s']:.3f} s "
                f"| {r['cpu_s']:.2f} s | {r['maxrss_mib']:.1f} MiB | {ratio} | {r['status']} |"
            )
    out += ["", *summary_lines(doc["cases"])]
    return "\n".join(out)


def _cell(row: dict[str, Any], rss: bool) -> str:
    if "wall_s" not in row:
        return "-"
    name = row["tool"]
    return f"{name} {row['maxrss_mib']:.1f} MiB" if rss else f"{name} {row['wall_s']:.3f} s"


def versions() -> dict[str, str]:
    out: dict[str, str] = {"python": platform.python_version()}
    for name, argv in (
        ("gpg", ["gpg", "--version"]),
        ("gpgv", ["gpgv", "--version"]),
        ("sqv", ["sqv", "--version"]),
        ("sqop", ["sqop", "version"]),
    ):
        exe = shutil.which(argv[0])
        if exe:
            r = subprocess.run([exe, *argv[1:]], capture_output=True, text=True, check=False)
            out[name] = _first_line(r.stdout or r.stderr)
    for dist in ("pgpsig", "cryptography"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            out[dist] = importlib.metadata.version(dist)
    pgpy = distribution_of("pgpy")
    if pgpy:
        out["PGPy"] = pgpy
    return out


def distribution_of(module: str) -> str | None:
    """The distribution installed that provides ``module``, and its version ("PGPym 0.6.2").

    ``import pgpy`` comes from PGPym (the maintained continuation of PGPy), or from PGPy in an
    older environment: asking for the version of "PGPy" finds nothing where PGPym is installed.
    """
    for dist in importlib.metadata.packages_distributions().get(module, []):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            return f"{dist} {importlib.metadata.version(dist)}"
    return None


@contextlib.contextmanager
def temp_dir(prefix: str) -> Iterator[Path]:
    # Short paths: gpg-agent's socket path must fit in sun_path.
    d = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--quick",
        action="store_true",
        help="tiny inputs, 1 repetition (for CI: checks the harness, not speed)",
    )
    ap.add_argument("--out", type=Path, default=HERE / "results.json", help="JSON results file")
    full_only = [name for name, case in CASES.items() if case.full_only]
    ap.add_argument(
        "--cases",
        default=None,
        help=f"comma-separated case names, of: {', '.join(CASES)} (run in this order, whatever "
        f"the order given: g is compared with a). Default: every case, but with --quick not "
        f"{', '.join(full_only)} (full runs only; named here, run small)",
    )
    ap.add_argument(
        "--variants",
        default=",".join(v.name for v in VARIANTS),
        help="comma-separated key variants (default: all)",
    )
    ap.add_argument("--reps", type=int, default=None, help="repetitions (default 5; quick: 1)")
    ap.add_argument("--digest", default="SHA256", help="gpg --digest-algo for the signatures")
    ap.add_argument("--timeout", type=float, default=None, help="seconds per run (default 600)")
    ap.add_argument(
        "--pgpy-timeout",
        type=float,
        default=None,
        help="seconds per PGPy run (default 300; quick: 30)",
    )
    ap.add_argument("--no-negative", action="store_true", help="skip the bad-input checks")
    ap.add_argument("--work", type=Path, default=HERE / "out", help="where inputs are built")
    ap.add_argument(
        "--fleet-shape",
        type=Path,
        default=ROOT.parent / "shared" / "bench" / "freepbx16-fleet-shape.json",
        help="the FreePBX fleet shape of cases (a) and (f) (default: ../shared/bench/ beside the "
        "repo)",
    )
    ap.add_argument(
        "--anatomy",
        type=Path,
        default=ROOT.parent / "shared" / "conformance" / "freepbx" / "webroot-anatomy.json",
        help="the FreePBX webroot anatomy of case (f) (default: ../shared/conformance/freepbx/)",
    )
    ap.add_argument(
        "--real-manifests",
        type=Path,
        default=ROOT.parent / "shared" / "conformance" / "freepbx" / "cases" / "fpbx16-installed",
        help="a directory of real FreePBX module directories holding module.sig, whose sizes case "
        "(h) reports next to its own (default: ../shared/conformance/freepbx/cases/fpbx16-installed)",
    )
    ap.add_argument(
        "--no-warmup",
        action="store_true",
        help="no unmeasured first run of each tool (the default in quick mode)",
    )
    ap.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="keep the environment's PYTHONDONTWRITEBYTECODE (Python tools then recompile what "
        "has no cached bytecode on every run)",
    )
    ap.add_argument(
        "--markdown",
        type=Path,
        metavar="RESULTS",
        help="print a results JSON file as Markdown tables (for the README) and exit",
    )
    args = ap.parse_args(argv)
    if args.markdown is not None:
        print(markdown(json.loads(args.markdown.read_text())))
        return 0

    if args.cases is None:
        asked = [c for c in CASES if not (args.quick and CASES[c].full_only)]
    else:
        asked = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = [c for c in asked if c not in CASES]
    if unknown:
        ap.error(f"unknown case(s) {', '.join(unknown)}; known: {', '.join(CASES)}")
    names = [c for c in CASES if c in asked]  # the order of CASES: (g) is judged against (a)
    wanted_variants = {v.strip() for v in args.variants.split(",") if v.strip()}
    gpg = shutil.which("gpg")
    if gpg is None:
        print(
            "bench: gpg is needed to make keys and signatures (Debian package gnupg)",
            file=sys.stderr,
        )
        return 2
    reps = args.reps or (1 if args.quick else 5)
    timeout = args.timeout or (60.0 if args.quick else 600.0)
    pgpy_timeout = args.pgpy_timeout or (30.0 if args.quick else 300.0)
    args.work.mkdir(parents=True, exist_ok=True)
    args.work = args.work.resolve()  # the shell helpers change directory
    bytecode = "as the environment says"
    if not args.no_bytecode_cache:
        # As installed: bytecode is cached (here under the work directory, so nothing is written
        # beside the sources); the warm-up run fills the cache before anything is measured.
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        os.environ["PYTHONPYCACHEPREFIX"] = str(args.work / "pycache")
        bytecode = "cached under the work directory (PYTHONPYCACHEPREFIX)"

    started = time.perf_counter()
    results: list[dict[str, Any]] = []
    with temp_dir("pgpsig-bench-") as scratch, temp_dir("pbg-") as home, temp_dir("pbe-") as empty:
        home.chmod(0o700)
        gnupg = GnuPG(gpg, home, scratch)
        ctx = Context(
            work=args.work,
            scratch=scratch,
            quick=args.quick,
            gnupg=gnupg,
            digest=args.digest,
            timeout=timeout,
            pgpy_timeout=pgpy_timeout,
            empty_home=empty,
            fleet_shape=args.fleet_shape,
            anatomy=args.anatomy,
            real_manifests=args.real_manifests,
            warmup=not (args.quick or args.no_warmup),
        )
        try:
            for name in names:
                case = CASES[name]
                for variant in case.variants:
                    if variant.name not in wanted_variants:
                        continue
                    try:
                        built = case.build(ctx, variant)
                    except Exception as e:  # a case that cannot be built must not end the run
                        why = _first_line(str(e)) or type(e).__name__
                        print(f"\n({name}) {case.title}: failed: harness could not build it: {why}")
                        results.append(
                            {
                                "case": name,
                                "variant": variant.name,
                                "title": case.title,
                                "status": f"failed: harness could not build it: {why}",
                                "results": [],
                                "targets": [],
                            }
                        )
                        continue
                    for prepared in built if isinstance(built, list) else [built]:
                        earlier = {
                            r["case"]: {row["tool"]: row for row in r["results"]}
                            for r in results
                            if r["variant"] == variant.name
                        }
                        result = run_case(
                            ctx, prepared, reps, negative=not args.no_negative, earlier=earlier
                        )
                        result["case"] = prepared.key or name
                        result["variant"] = variant.name
                        print_case(result)
                        results.append(result)
        finally:
            gnupg.close()
    summary = summary_lines(results)
    print("\nTargets (ratios of medians, pgpsig over peer; met / not met, never asserted)\n")
    print("\n".join(summary))
    doc: dict[str, Any] = {
        "meta": {
            "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "quick": args.quick,
            "reps": reps,
            "cpus": os.cpu_count(),
            "machine": platform.machine(),
            "system": platform.system(),
            "versions": versions(),
            "seconds": round(time.perf_counter() - started, 1),
            "gen": GEN_VERSION,
            "rss_method": RSS_METHOD,
            "warmup": ctx.warmup,
            "python_bytecode": bytecode,
        },
        "cases": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"\nwrote {args.out} in {doc['meta']['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
