"""What a plain ``pgpsig check`` does before it checks anything (#16 (b), start-up).

A cold check of one small module is mostly start-up. These tests keep out of a plain check what
it does not need (asserted on the modules loaded, not on time): the machinery of ``--json``, of a
fanout and of typer; threads and the read-ahead of large files (``threading``, ``mmap``); the
``cryptography`` modules of algorithms its keys do not use; the standard library's
``dataclasses`` and ``inspect``; and source compiled at run time (``typing`` compiles a string
annotation it evaluates; the first ``compile()`` of a process costs 3 ms). And how the process
ends: without the interpreter's teardown when nothing waits for it.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT
from pgpsig.api import sign_module

EX = ROOT / "examples"

#: Run the command line in argv, then report the modules loaded and who compiled source (no json:
#: it is one of the modules looked for).
_SCRIPT = """
import sys
compiled = []
def audit(event, args):
    if event == "compile":
        caller = sys._getframe(1).f_code.co_filename
        if "importlib" not in caller and not caller.endswith("collections/__init__.py"):
            compiled.append(caller)  # (importlib: a module without bytecode; namedtuple: eval)
sys.addaudithook(audit)
from pgpsig.cli import app
code = app.dispatch(sys.argv[1:])
print(repr([code, sorted(sys.modules), compiled]))
"""

#: Modules a plain check of Ed25519 signatures must not load.
NOT_LOADED = [
    "dataclasses",
    "inspect",
    "json",
    "pickle",
    "zlib",
    "signal",
    "threading",
    "mmap",
    "pgpsig.readahead",
    "pgpsig.fanout",
    "pgpsig.modules.freepbx",
    "pgpsig.certs.store",  # a check given --keyring never opens the store
    "pgpsig.certs.feeds",  # nor reads keyring feeds
    "typer",
    "cryptography.hazmat.primitives.asymmetric.rsa",
    "cryptography.hazmat.primitives.asymmetric.dsa",
    "cryptography.hazmat.primitives.asymmetric.ec",
    "cryptography.hazmat.primitives.asymmetric.ed448",
    "cryptography.hazmat.primitives.asymmetric.padding",
]


def _run(argv: list[str], home: Path) -> tuple[int, set[str], list[str]]:
    r = subprocess.run(
        [sys.executable, "-c", _SCRIPT, *argv],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), "PGPSIG_HOME": str(home)},
        check=True,
        text=True,
    )
    code, loaded, compiled = ast.literal_eval(r.stdout.splitlines()[-1])
    return code, set(loaded), compiled


def _loaded_by_cryptography_itself(needed: list[str]) -> set[str]:
    """What importing the ``cryptography`` modules a check needs loads by itself, in this version.

    (Older releases import ``rsa``, ``ec``, ``padding`` from their own modules: not pgpsig's doing.)
    """
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys, importlib; [importlib.import_module(m) for m in {needed!r}]; "
            "print(repr(sorted(sys.modules)))",
        ],
        capture_output=True,
        check=True,
        text=True,
    )
    return set(ast.literal_eval(r.stdout.splitlines()[-1]))


def test_a_plain_check_loads_only_what_it_uses(tmp_path: Path) -> None:
    module = tmp_path / "module"
    shutil.copytree(EX / "module", module)
    sign_module(module, EX / "example-dev.sec.asc")
    argv = ["check", str(module), "-k", str(EX / "example-dev.asc")]
    code, loaded, compiled = _run([*argv, "--trust-root", str(EX / "example-master.asc")], tmp_path)
    assert code == 0
    assert "cryptography.hazmat.primitives.asymmetric.ed25519" in loaded  # it did check
    needed = sorted(m for m in loaded if m.startswith("cryptography") and m not in NOT_LOADED)
    not_loaded = set(NOT_LOADED) - _loaded_by_cryptography_itself(needed)
    assert "pgpsig.fanout" in not_loaded  # the check still means something
    assert sorted(loaded.intersection(not_loaded)) == []
    assert compiled == []
    # --json loads json's encoder only as its C function, and still no json package
    code, loaded, _ = _run([*argv, "--json"], tmp_path)
    assert code == 1  # (no trust root)
    assert "_json" in loaded
    assert "json" not in loaded


def test_the_lazy_modules_are_loaded_when_used(tmp_path: Path) -> None:
    """The script sees them: a command typer parses imports typer, inspect and json's package."""
    code, loaded, _ = _run(["key", "list", "--keyring", str(EX / "example-dev.asc")], tmp_path)
    assert code == 0
    assert {"typer", "inspect"} <= loaded


#: ``pgpsig`` as its entry point runs it, after what the test sets up (``{setup}``): a ``Witness``
#: left in a global says on stdout when the interpreter is torn down (its globals freed).
_LEAVE = """
import os, sys
class Witness:
    def __del__(self):
        os.write(1, b"torn down\\n")
witness = Witness()
{setup}
from pgpsig.cli import main
main(sys.argv[1:])
"""


def _signed_example(tmp_path: Path) -> list[str]:
    module = tmp_path / "module"
    shutil.copytree(EX / "module", module)
    sign_module(module, EX / "example-dev.sec.asc")
    keys = ["-k", str(EX / "example-dev.asc"), "--trust-root", str(EX / "example-master.asc")]
    return ["check", str(module), *keys]


def _leave(setup: str, argv: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _LEAVE.format(setup=setup), *argv],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), "PGPSIG_HOME": str(home)},
        check=False,
        text=True,
    )


def test_the_process_ends_without_teardown_when_nothing_waits(tmp_path: Path) -> None:
    """The interpreter is not torn down (about 6 ms after a check): the report is all out, the
    exit code the command's, and nothing is freed."""
    argv = _signed_example(tmp_path)
    r = _leave("", argv, tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "1 of 1 module(s) good"
    assert "torn down" not in r.stdout
    r = _leave("", [*argv[:-2]], tmp_path)  # no trust root: exit 1, the report flushed all the same
    assert r.returncode == 1
    assert r.stdout.splitlines()[-2:] == ["0 of 1 module(s) good", "failed: module (4)"]
    assert "torn down" not in r.stdout


def test_the_process_ends_normally_when_something_waits(tmp_path: Path) -> None:
    """An exit handler or a thread to join: the usual exit, which runs and waits for them."""
    argv = _signed_example(tmp_path)
    handler = "import atexit; atexit.register(lambda: os.write(1, b'handler ran\\n'))"
    r = _leave(handler, argv, tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-3:] == ["1 of 1 module(s) good", "handler ran", "torn down"]
    thread = (
        "import threading, time\n"
        "threading.Thread(target=lambda: (time.sleep(0.3), os.write(1, b'joined\\n'))).start()"
    )
    r = _leave(thread, argv, tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-2:] == ["joined", "torn down"]
    daemon = (
        "import threading; threading.Thread(target=threading.Event().wait, daemon=True).start()"
    )
    r = _leave(daemon, argv, tmp_path)  # a daemon thread is not waited for: no teardown either
    assert r.returncode == 0, r.stderr
    assert "torn down" not in r.stdout
