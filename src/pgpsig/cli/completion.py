"""Shell completion: ``pgpsig completion bash|zsh|fish``, and the protocol its scripts speak.

Loaded in its shell, a script makes each TAB on a ``pgpsig`` command line run ``pgpsig`` again
with :data:`COMPLETE_VAR` set to ``complete_bash``, ``complete_zsh`` or ``complete_fish`` and the
line so far in the environment (bash: ``COMP_WORDS`` and ``COMP_CWORD``; zsh and fish:
``_TYPER_COMPLETE_ARGS``, and for fish ``_TYPER_COMPLETE_FISH_ACTION``). Typer then prints the
commands, options or values that fit there (an option's choices, see
:func:`pgpsig.cli.options.choices`) in the form the script reads, and exits; where nothing fits
(a file argument), the script lets the shell complete file names.

That protocol, and reading it, are typer 0.29's shell classes; this module gives them the scripts
(:data:`SCRIPTS`) and registers them (:func:`register`), instead of typer's own
``--show-completion`` and ``--install-completion``: the first prints the script of the shell it
detects whatever shell it is given, the second edits the shell's startup files, and typer's zsh
script, autoloaded from ``$fpath`` as zsh loads completion functions, completes nothing at the
first TAB (it only registers itself). This module owns the ``completion`` command and those
scripts; the values offered are the commands' declarations (:mod:`.options`).
"""

from collections.abc import Callable
from typing import Annotated, Any

from typer._click.shell_completion import CompletionItem, ShellComplete, add_completion_class
from typer._completion_classes import BashComplete, FishComplete, ZshComplete

from pgpsig.cli.options import Arg, command
from pgpsig.cli.output import usage, write_stdout

__all__ = ["COMPLETE_VAR", "PROG", "SCRIPTS", "SHELLS", "completion", "register", "script"]

#: The program the scripts complete, and run to ask what fits.
PROG = "pgpsig"
#: The environment variable that makes ``pgpsig`` answer a completion request.
COMPLETE_VAR = "_PGPSIG_COMPLETE"

#: The script of each shell (``%``-formatted with ``prog``, ``var`` and ``func``). bash: the words
#: so far, and the index of the one completed; an empty answer leaves it to bash (file names).
#: zsh: the words up to the cursor; the answer is an ``_arguments`` call (or ``_files``). Loaded
#: by ``compinit`` from a file ``_pgpsig`` in ``$fpath`` (its ``#compdef`` line), the function
#: completes at once; sourced or evaluated (after ``compinit``), it registers itself. fish: the
#: line up to the cursor; the completions apply (and file names do not) only when there are any.
SCRIPTS = {
    "bash": """\
%(func)s() {
    local IFS=$'\\n'
    COMPREPLY=( $( env COMP_WORDS="${COMP_WORDS[*]}" \\
                   COMP_CWORD=$COMP_CWORD \\
                   %(var)s=complete_bash "$1" ) )
    return 0
}

complete -o default -F %(func)s %(prog)s
""",
    "zsh": """\
#compdef %(prog)s

%(func)s() {
  eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" %(var)s=complete_zsh %(prog)s)
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  %(func)s "$@"
else
  compdef %(func)s %(prog)s
fi
""",
    "fish": (
        "complete --command %(prog)s --no-files"
        ' --arguments "(env %(var)s=complete_fish _TYPER_COMPLETE_FISH_ACTION=get-args'
        ' _TYPER_COMPLETE_ARGS=(commandline -cp) %(prog)s)"'
        ' --condition "env %(var)s=complete_fish _TYPER_COMPLETE_FISH_ACTION=is-args'
        ' _TYPER_COMPLETE_ARGS=(commandline -cp) %(prog)s"\n'
    ),
}
#: The shells with a completion script.
SHELLS = tuple(SCRIPTS)


def script(shell: str) -> str:
    """The completion script of ``shell`` (one of :data:`SHELLS`) for ``pgpsig``."""
    func = f"_{PROG}_completion"
    return SCRIPTS[shell] % {"prog": PROG, "var": COMPLETE_VAR, "func": func}


#: What :func:`register` was given: the SOP application's click command, made when asked.
_SOP: list[Callable[[], Any]] = []


class _Script(ShellComplete):
    """A shell's class, with :func:`script` and the words of ``pgpsig sop`` completed as SOP's."""

    def source(self) -> str:
        return script(self.name)  # (typer's bash class would run bash for its version)

    def get_completions(self, args: list[str], incomplete: str) -> list[CompletionItem]:
        # `pgpsig sop` hands the words after it to the SOP application (pgpsig.cli.app.run_sop)
        if args[:1] == ["sop"] and _SOP:
            self.cli, args = _SOP[0](), args[1:]
        return super().get_completions(args, incomplete)


class _Bash(_Script, BashComplete):
    pass


class _Zsh(_Script, ZshComplete):
    pass


class _Fish(_Script, FishComplete):
    pass


def register(sop: Callable[[], Any]) -> None:
    """Make typer answer each shell's requests (:data:`COMPLETE_VAR`) as its script expects.

    ``sop`` makes the click command of ``pgpsig sop``'s application, which completes what follows
    ``pgpsig sop``.
    """
    _SOP[:] = [sop]
    for cls in (_Bash, _Zsh, _Fish):
        add_completion_class(cls, cls.name)


@command("", "completion")
def completion(
    shell: Annotated[
        str, Arg(help="The shell to complete in.", complete="pgpsig.cli.completion:SHELLS")
    ],
) -> None:
    """Print the script that makes SHELL complete pgpsig's commands, options and values.

    bash: eval "$(pgpsig completion bash)" in ~/.bashrc.

    zsh: pgpsig completion zsh > ~/.zfunc/_pgpsig, with fpath+=~/.zfunc before compinit in
    ~/.zshrc (or eval "$(pgpsig completion zsh)" after compinit).

    fish: pgpsig completion fish > ~/.config/fish/completions/pgpsig.fish
    """
    if shell not in SCRIPTS:
        usage(f"completion: unknown shell {shell!r} (use {', '.join(SHELLS)})")
    write_stdout(script(shell))
