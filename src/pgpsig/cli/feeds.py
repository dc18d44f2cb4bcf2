"""``pgpsig key publish`` and ``pgpsig key update``: a trust root's keyring feed, made and applied.

Each command parses its options, reads its inputs (a secret key and the store, or a feed from a
file or over HTTP(S)), makes one call of :mod:`pgpsig.keys.feeding` and says what it did; the
rules are there.
"""

from datetime import datetime
from pathlib import Path
from typing import Annotated

from pgpsig.cli import inputs
from pgpsig.cli.options import (
    PASSPHRASE_ENV,
    Json,
    Opt,
    PassphraseEnv,
    PassphraseFile,
    PolicyName,
    command,
)
from pgpsig.cli.output import EXIT_FAILED, EXIT_OK, Exit, emit, err, print_json, safe, usage
from pgpsig.errors import FormatError, InputError, not_a_directory

__all__ = ["key_publish", "key_update"]


@command("key", "publish")
def key_publish(
    with_key: Annotated[Path, Opt("--with", help="The trust root's secret key that signs.")],
    valid: Annotated[
        str,
        Opt(
            "--valid",
            help="How long the feed stays fresh: 12h, 7d, 2w, or a date.",
            metavar="DURATION",
        ),
    ],
    out: Annotated[
        Path, Opt("--out", help="Write the feed here (binary OpenPGP).", metavar="FEED")
    ],
    keyring: Annotated[
        Path | None,
        Opt("--keyring", help="Publish from this keyring directory instead of the store."),
    ] = None,
    at: Annotated[
        str | None,
        Opt("--at", help="Make the feed as of this ISO 8601 time instead of now.", metavar="TIME"),
    ] = None,
    policy: PolicyName = "default",
    passphrase_file: PassphraseFile = None,
    passphrase_env: PassphraseEnv = PASSPHRASE_ENV,
    as_json: Json = False,
) -> None:
    """Sign the certificates and revocations a trust root vouches for into a dated, expiring feed."""
    from pgpsig.keys.feeding import parse_validity, publish_feed
    from pgpsig.report import iso

    now = inputs.now(at)
    try:
        window = parse_validity(valid, now=now)
    except ValueError as e:
        usage(f"--valid: {e}")
    if keyring is not None and not keyring.is_dir():
        raise not_a_directory(keyring)
    store = inputs.key_store(keyring)
    if keyring is None and not store.certs_dir.is_dir():
        raise InputError(
            f"no store at {store.certs_dir.parent}: give --keyring DIR, or import keys"
        )
    ring = store.load(strict_revocations=True)
    inputs.ring_warnings(ring)
    master = inputs.read(with_key)
    pol = inputs.policy(policy)
    try:
        result = inputs.unlocked(
            lambda secret: publish_feed(
                master, ring, passphrase=secret, now=now, valid=window, policy=pol
            ),
            passphrase_file,
            passphrase_env,
        )
    except ValueError as e:
        usage(str(e))
    _refuse_older_than(out, result.created)
    for w in result.warnings:
        err(f"warning: {w}")
    emit(out, result.feed)
    if as_json:
        print_json({**result.to_dict(), "out": str(out)})
    else:
        print(
            f"feed of {len(result.certificates)} certificate(s) and {result.revocations} loose"
            f" revocation(s) signed by {result.by}, made {iso(result.created)},"
            f" fresh until {iso(result.expires)}, written to {safe(str(out))}"
        )
    raise Exit(EXIT_OK)


def _refuse_older_than(out: Path, created: datetime) -> None:
    """Refuse to replace a feed made at or after ``created``: hosts would refuse the new one."""
    from pgpsig.certs.feeds import parse_feed
    from pgpsig.report import iso

    try:
        old = parse_feed(out.read_bytes()) if out.is_file() else None
    except (OSError, FormatError):
        return  # not a feed: replaced
    if old is not None and old.created >= created:
        raise InputError(
            f"{out} holds a feed made {iso(old.created)}, not before this one ({iso(created)}):"
            " hosts would refuse the new one as not newer; wait a second (a feed's version is"
            " its creation time, in seconds), or give a later --at"
        )


@command("key", "update")
def key_update(
    source: Annotated[
        str, Opt("--from", help="The feed: an http(s) URL or a file.", metavar="URL|FILE")
    ],
    trust_root: Annotated[
        list[str] | None,
        Opt(
            "--trust-root",
            help="Fingerprint in the store, or a certificate file (repeatable; default: the"
            " store's roots).",
            metavar="FPR|CERT_FILE",
        ),
    ] = None,
    timeout: Annotated[float, Opt("--timeout", help="Seconds allowed for the download.")] = 30.0,
    policy: PolicyName = "default",
    as_json: Json = False,
) -> None:
    """Fetch a trust root's keyring feed, verify it, and apply it to the store (never older)."""
    from pgpsig.certs.feeds import MAX_FEED_BYTES
    from pgpsig.keys.feeding import FeedRefusedError, apply_feed, verify_feed
    from pgpsig.report import iso

    now = inputs.now(None)
    pol = inputs.policy(policy)
    scheme = source.split(":", 1)[0].lower() if "://" in source else ""
    if scheme and scheme not in ("http", "https"):
        usage(f"--from {source}: only http and https URLs, or a file")
    unchanged = "the store is unchanged"
    try:
        if scheme:
            from pgpsig.keys import NetworkError

            try:
                data = inputs.fetcher(timeout, max_bytes=MAX_FEED_BYTES)(source)
            except NetworkError as e:
                message = f"update failed: {e}; {unchanged}"
                err(message)
                if as_json:
                    print_json({"error": {"kind": "network", "message": message}})
                raise Exit(EXIT_FAILED) from None
        else:
            data = inputs.read(inputs.existing(Path(source)), limit=MAX_FEED_BYTES)
        ring = inputs.keyring(None, warn=False)
        roots = inputs.trust_roots(ring, list(trust_root or []))
        inputs.ring_warnings(ring)
        verified = verify_feed(data, ring, roots.fingerprints, policy=pol, now=now)
        result = apply_feed(inputs.key_store(None), verified)
    except (FormatError, FeedRefusedError) as e:
        raise type(e)(f"feed refused: {e}; {unchanged}") from None
    if as_json:
        print_json({**result.to_dict(), "source": source})
    else:
        before = (
            f"replaces the feed of {iso(result.previous)}"
            if result.previous is not None
            else "the first from this root"
        )
        print(
            f"applied the feed of trust root {result.root} made {iso(result.created)} ({before}):"
            f" {len(result.certificates)} certificate(s), {result.revocations} loose"
            f" revocation(s); fresh until {iso(result.expires)}"
        )
    raise Exit(EXIT_OK)
