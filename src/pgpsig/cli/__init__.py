"""The ``pgpsig`` and ``pgpsig-sop`` command lines: options in, exit codes and output out.

This package is the only code that imports typer, reads the clock or the environment, or prints.
Every command parses its options, takes ``now`` once, calls one use case of the library, prints
the result (JSON with ``--json``, a short human report otherwise; diagnostics on stderr) and picks
the exit code: 0 success, 1 verification failed, 2 usage error or unreadable/malformed input.

Modules: :mod:`.app` (entry points, dispatch, exit codes, the typer application built on first
use), :mod:`.options` (the one declaration of each command's options, and the typer command and
fast path derived from it), :mod:`.output` (printing, errors, ``--json``, atomic output files),
:mod:`.inputs` (clock, environment, input files, keyring, store and roots), and one module per
command group: :mod:`.verify`, :mod:`.check`, :mod:`.sign`, :mod:`.keys`, :mod:`.trust_root`,
:mod:`.sop`, :mod:`.completion` (shell completion scripts). Importing this package imports no
command module and no typer.
"""

from pgpsig.cli.app import main, sop_main

__all__ = ["main", "sop_main"]
