"""``pgpsig key trust-root``: add, remove and list the store's trust roots.

Each command is one call of :mod:`pgpsig.keys.roots` (``add`` imports a certificate file first)
on the user's store, and one line per root.
"""

from pathlib import Path
from typing import Annotated

from pgpsig.cli import inputs
from pgpsig.cli.options import Arg, Json, command
from pgpsig.cli.output import EXIT_OK, Exit, print_json, safe
from pgpsig.errors import InputError

__all__ = ["trust_root_add", "trust_root_list", "trust_root_remove"]


@command("trust-root", "add")
def trust_root_add(
    ref: Annotated[
        str,
        Arg(
            help="Fingerprint or key ID of a stored key, or a certificate file.",
            metavar="FPR|CERT_FILE",
        ),
    ],
) -> None:
    """Make a key a trust root of the store (a certificate file is imported first)."""
    from pgpsig.keys import add_trust_root, import_keys

    store = inputs.key_store(None)
    p = Path(ref)
    if p.is_file():
        report = import_keys(store, [(ref, inputs.read(p))])
        fprs = [i.fingerprint for i in report.items if i.fingerprint and i.status != "rejected"]
        if len(fprs) != 1:
            reasons = "; ".join(d for i in report.items for d in i.details)
            raise InputError(f"{ref}: expected one valid certificate ({reasons or 'none found'})")
        ref = fprs[0]
    root = add_trust_root(store, ref)
    print(f"trust root {root.fingerprint}  {safe(root.user_id or '')}")
    raise Exit(EXIT_OK)


@command("trust-root", "remove")
def trust_root_remove(
    ref: Annotated[str, Arg(help="Fingerprint or key ID of a trust root.", metavar="FPR")],
) -> None:
    """Stop trusting a root (its certificate stays in the store)."""
    from pgpsig.keys import remove_trust_root

    fpr = remove_trust_root(inputs.key_store(None), ref)
    print(f"removed trust root {fpr}")
    raise Exit(EXIT_OK)


@command("trust-root", "list")
def trust_root_list(as_json: Json = False) -> None:
    """List the store's trust roots."""
    from pgpsig.keys import list_trust_roots

    roots = list_trust_roots(inputs.key_store(None))
    if as_json:
        print_json({"roots": [r.to_dict() for r in roots]})
    else:
        for r in roots:
            state = "" if r.present else "  [certificate not in the store]"
            print(f"{r.fingerprint}  {safe(r.user_id or '')}{state}")
    raise Exit(EXIT_OK)
