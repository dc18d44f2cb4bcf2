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

    def tool(self, name: str) -> str | None:
        return shutil.which(name)

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


@dataclass
class Prepared:
    """What a case builder returns: the input's description and each tool on good and bad input."""

    title: str
    input: dict[str, Any]
    good: list[Tool | tuple[str, str]]  # a Tool, or (name, "missing: why")
    bad: dict[str, Tool] = field(default_factory=dict)  # by tool name: must NOT verify


@dataclass(frozen=True)
class Variant:
    name: str
    key_algorithm: str  # gpg --quick-gen-key algorithm


@dataclass(frozen=True)
class Case:
    title: str
    build: Callable[[Context, Variant], Prepared]
    variants: tuple[Variant, ...]


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
    return Prepared(
        title=f"(d) clear-signed text of {_size(signed.stat().st_size)}, {variant.name} key, "
        f"{ctx.digest}",
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
    )


def _named(name: str, tool: Tool | str) -> Tool | tuple[str, str]:
    return tool if isinstance(tool, Tool) else (name, tool)


VARIANTS = (Variant("ed25519", "ed25519"), Variant("rsa4096", "rsa4096"))

# The extension point: a case is a builder plus the key variants it runs with. Later cases
# (module trees against the gpgv | sha256sum baseline, signing) go here.
CASES: dict[str, Case] = {
    "c": Case("detached signature over a large file", build_detached, VARIANTS),
    "d": Case("clear-signed large text", build_clearsigned, VARIANTS),
}


# --- running a case, reporting --------------------------------------------------------------------


def run_case(ctx: Context, prepared: Prepared, reps: int, negative: bool) -> dict[str, Any]:
    tools = [t for t in prepared.good if isinstance(t, Tool)]
    runs: dict[str, list[Run]] = {t.name: [] for t in tools}
    dropped: set[str] = set()
    for _ in range(reps):  # interleaved, so drifting load spreads over every tool
        for t in tools:
            if t.name in dropped:
                continue
            one = measure(t, ctx.scratch)
            runs[t.name].append(one)
            if one.timed_out or one.exit != 0:
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
        elif last.exit != 0:
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
            if negative and t.name in prepared.bad:
                b = measure(prepared.bad[t.name], ctx.scratch)
                row["bad_input"] = _run_json(b)
                if b.timed_out:
                    row["bad_input_verdict"] = "timeout"
                elif b.exit == 0:
                    row["status"] = "wrong answer: accepted a bad signature"
                    row["bad_input_verdict"] = "accepted"
                else:
                    row["bad_input_verdict"] = "rejected"
        rows.append(row)
    base = next((r for r in rows if r["tool"] == "pgpsig" and r["status"] == "ok"), None)
    for peer in rows:
        if base is not None and peer is not base and peer["status"] == "ok":
            peer["pgpsig_over_peer_wall"] = base["wall_s"] / peer["wall_s"]
            peer["pgpsig_over_peer_rss"] = base["maxrss_mib"] / peer["maxrss_mib"]
    return {"title": prepared.title, "input": prepared.input, "reps": reps, "results": rows}


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


def print_case(result: dict[str, Any]) -> None:
    print(f"\n{result['title']}  (median of {result['reps']})")
    head = (
        f"  {'tool':7} {'wall':>8} {'min':>8} {'cpu':>8} {'peak RSS':>10} "
        f"{'pgpsig/peer':>11} {'RSS ratio':>9}  status"
    )
    print(head)
    print("  " + "-" * (len(head) - 2))
    for r in result["results"]:
        if "wall_s" in r:
            ratio = (
                f"{r['pgpsig_over_peer_wall']:10.2f}x {r['pgpsig_over_peer_rss']:8.2f}x"
                if "pgpsig_over_peer_wall" in r
                else f"{'':11} {'':9}"
            )
            print(
                f"  {r['tool']:7} {r['wall_s']:7.3f}s {r['wall_min_s']:7.3f}s "
                f"{r['cpu_s']:7.2f}s {r['maxrss_mib']:6.1f} MiB {ratio}  {r['status']}"
            )
        else:
            print(
                f"  {r['tool']:7} {'-':>8} {'-':>8} {'-':>8} {'-':>10} {'':11} {'':9}  "
                f"{r['status']}"
            )


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
    for dist in ("pgpsig", "PGPy", "cryptography"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            out[dist] = importlib.metadata.version(dist)
    return out


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
    ap.add_argument(
        "--cases",
        default=",".join(CASES),
        help=f"comma-separated case names, of: {', '.join(CASES)}",
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
    args = ap.parse_args(argv)

    names = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = [c for c in names if c not in CASES]
    if unknown:
        ap.error(f"unknown case(s) {', '.join(unknown)}; known: {', '.join(CASES)}")
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
        )
        try:
            for name in names:
                case = CASES[name]
                for variant in case.variants:
                    if variant.name not in wanted_variants:
                        continue
                    prepared = case.build(ctx, variant)
                    result = run_case(ctx, prepared, reps, negative=not args.no_negative)
                    result["case"] = name
                    result["variant"] = variant.name
                    print_case(result)
                    results.append(result)
        finally:
            gnupg.close()
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
        },
        "cases": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"\nwrote {args.out} in {doc['meta']['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
