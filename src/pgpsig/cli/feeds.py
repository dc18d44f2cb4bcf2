"""``pgpsig key publish`` and ``pgpsig key update``: a trust root's keyring feed, made and applied.

Each command parses its options, reads its inputs (a secret key and the store, or a feed from a
file or over HTTP(S)), makes one call of :mod:`pgpsig.keys.feeding` and says what it did; the
rules are there.
"""

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

    now = inputs.now(at)
    try:
        window = parse_validity(valid, now=now)
    except ValueError as e:
        usage(f"--valid: {e}")
    ring = inputs.key_store(keyring).load(strict_revocations=True)
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
    emit(out, result.feed)
    if as_json:
        print_json({**result.to_dict(), "out": str(out)})
    else:
        print(
            f"feed of {len(result.certificates)} certificate(s) and {result.revocations} loose"
            f" revocation(s) signed by {result.by}, made {result.created:%Y-%m-%dT%H:%M:%SZ},"
            f" fresh until {result.expires:%Y-%m-%dT%H:%M:%SZ}, written to {safe(str(out))}"
        )
    raise Exit(EXIT_OK)


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
    from pgpsig.errors import FormatError
    from pgpsig.keys.feeding import FeedRefusedError, apply_feed, verify_feed

    now = inputs.now(None)
    pol = inputs.policy(policy)
    if not 0 < timeout <= 600:
        usage("--timeout must be between 0 and 600 seconds")
    scheme = source.split(":", 1)[0].lower() if "://" in source else ""
    if scheme in ("http", "https"):
        import time
        import urllib.request

        from pgpsig.keys import HTTPFetcher, NetworkError

        fetch = HTTPFetcher(
            timeout=timeout,
            clock=time.monotonic,
            proxies=urllib.request.getproxies(),
            max_bytes=MAX_FEED_BYTES,
        )
        try:
            data = fetch(source)
        except FormatError as e:  # too large
            raise type(e)(f"{e} (the store is unchanged)") from None
        except NetworkError as e:
            err(f"update failed: {e}; the store is unchanged")
            if as_json:
                print_json({"error": {"kind": "network", "message": str(e)}})
            raise Exit(EXIT_FAILED) from None
    elif scheme:
        usage(f"--from {source}: only http and https URLs, or a file")
    else:
        data = inputs.read(inputs.existing(Path(source)), limit=MAX_FEED_BYTES)
    ring = inputs.keyring(None, warn=False)
    roots = inputs.trust_roots(ring, list(trust_root or []))
    inputs.ring_warnings(ring)
    try:
        verified = verify_feed(data, ring, roots.fingerprints, policy=pol, now=now)
        result = apply_feed(inputs.key_store(None), verified)
    except (FormatError, FeedRefusedError) as e:
        raise type(e)(f"feed refused: {e} (the store is unchanged)") from None
    if as_json:
        print_json({**result.to_dict(), "source": source})
    else:
        before = (
            f"replaces the feed of {result.previous:%Y-%m-%dT%H:%M:%SZ}"
            if result.previous is not None
            else "the first from this root"
        )
        print(
            f"applied the feed of trust root {result.root} made"
            f" {result.created:%Y-%m-%dT%H:%M:%SZ} ({before}): {len(result.certificates)}"
            f" certificate(s), {result.revocations} loose revocation(s); fresh until"
            f" {result.expires:%Y-%m-%dT%H:%M:%SZ}"
        )
    raise Exit(EXIT_OK)
