"""``pgpsig verify``: a clear-signed file, or data against a detached signature.

Parse, then one call of :func:`pgpsig.verify.verify_clearsigned` or
:func:`~pgpsig.verify.verify_detached`, then the report: JSON or one line per signature, and
the verified text to ``--output`` (written only if it verifies). Exit 0 when enough good
signatures were found, 1 when not, 2 on a usage error or unreadable or malformed input.
"""

import sys
from pathlib import Path
from typing import Annotated, Any

from pgpsig.cli import inputs
from pgpsig.cli.options import (
    Arg,
    At,
    CacheDirOption,
    Json,
    Keyrings,
    NoCache,
    Opt,
    PolicyName,
    RequireFresh,
    command,
)
from pgpsig.cli.output import (
    EXIT_FAILED,
    EXIT_OK,
    Exit,
    err,
    print_json,
    safe,
    usage,
)
from pgpsig.errors import InputError, quoted

__all__ = ["verify"]


@command("", "verify")
def verify(
    file: Annotated[
        Path,
        Arg(help="Clear-signed file, or the signed data with --signature. '-' reads stdin."),
    ],
    signature: Annotated[
        Path | None,
        Opt("--signature", "-s", help="Detached signature file (armored or binary)."),
    ] = None,
    keyring: Keyrings = None,
    min_signatures: Annotated[
        int,
        Opt("--min-signatures", "-n", help="Good signatures by distinct certificates needed."),
    ] = 1,
    policy: PolicyName = "default",
    at: At = None,
    output: Annotated[
        Path | None,
        Opt(
            "--output",
            "-o",
            help="Write the verified text here (clear-signed input only), only if it verifies.",
        ),
    ] = None,
    require_fresh: RequireFresh = False,
    cache_dir: CacheDirOption = None,
    no_cache: NoCache = False,
    as_json: Json = False,
) -> None:
    """Verify a clear-signed file, or data against a detached signature."""
    from pgpsig.openpgp.sha1sig import verdicts
    from pgpsig.verify import TextOutput, verify_clearsigned, verify_detached

    if min_signatures < 1:
        usage("--min-signatures must be at least 1")
    now = inputs.now(at)
    pol = inputs.policy(policy)
    if require_fresh and keyring:
        usage("--require-fresh judges the keyring feeds applied to the store: not with --keyring")
    applied: list[Any] = []
    ring = inputs.keyring(keyring, feeds=applied)
    _, feed_warnings = inputs.freshness(applied, None, now, require=require_fresh)
    if output is not None and signature is not None:
        usage(
            "--output is for clear-signed input; the signed data of a detached signature is FILE itself"
        )
    stdin = str(file) == "-"
    store = inputs.sha1_verdicts(cache_dir, no_cache, pol)
    with verdicts(store):
        try:
            if signature is not None:
                from pgpsig.openpgp.armor import MAX_ARMOR_BYTES

                sig_bytes = inputs.read(signature, limit=MAX_ARMOR_BYTES)
                data_src: Any = sys.stdin.buffer if stdin else inputs.existing(file)
                report = verify_detached(
                    data_src, sig_bytes, ring, policy=pol, now=now, min_signatures=min_signatures
                )
                out = None
            else:
                # stdin is spooled to a temporary file, not memory: it may be re-read (a second pass
                # for digests the Hash: header did not announce) and may be of any size.
                src: Any = inputs.spool(sys.stdin.buffer) if stdin else inputs.existing(file)
                out = TextOutput(output) if output is not None else None
                try:
                    report = verify_clearsigned(
                        src,
                        ring,
                        policy=pol,
                        now=now,
                        min_signatures=min_signatures,
                        output=out.write_canonical if out is not None else None,
                    )
                except BaseException:
                    if out is not None:
                        out.discard()
                    raise
        except OSError as e:
            raise InputError(str(e)) from e
    if feed_warnings:
        from pgpsig._dataclass import replace

        report = replace(
            report,
            warnings=(*report.warnings, *feed_warnings),
            stale=tuple(feed_warnings) if require_fresh else (),
        )
    if out is not None:
        if report.ok:
            out.release(report.blocks)
        else:
            out.discard()
    if as_json:
        print_json(report.to_dict())
    else:
        _print_report(report)
    raise Exit(EXIT_OK if report.ok else EXIT_FAILED)


def _print_report(report: Any) -> None:
    """The human report: warnings on stderr, one line per signature, then OK or FAILED.

    A line names the signing key, its primary key when that is another, and the user ID naming the
    certificate (quoted, bounded: :func:`pgpsig.errors.quoted`), e.g. ``good: signature by FPR
    "Alice <alice@example.org>", made 2025-06-01T12:00:00Z, SHA256``.
    """
    for w in report.warnings:
        err(f"warning: {w}")
    for s in report.signatures:
        named = "" if s.user_id is None else f" {quoted(s.user_id)}"
        line = f"{s.status.value}: signature by {s.signer or '?'}"
        if s.primary and s.primary != s.signer:
            line += f" (primary {s.primary}{named})"
        else:
            line += named
        if s.created:
            line += f", made {s.created.strftime('%Y-%m-%dT%H:%M:%SZ')}"
        line += f", {s.hash_algorithm}"
        if s.reason:
            line += f": {s.reason}"
        for w in s.warnings:
            line += f" [warning: {w}]"
        print(safe(line))
    print("OK" if report.ok else f"FAILED: {safe(report.summary())}")
