"""``pgpsig key``: generate, export, list, import, certify, revoke, revoke-certification, refresh.

Each command parses its options, reads its files (a secret key, certificates, the store), makes
one call of a :mod:`pgpsig.keys` use case, writes its output atomically (or to stdout) and says
what it did. A ``ValueError`` of a use case (a bad reason, expiry or user ID) is a usage error.
The store's trust roots (``pgpsig key trust-root``) are :mod:`.trust_root`'s, keyring feeds
(``pgpsig key publish`` and ``update``) :mod:`.feeds`'s.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

from pgpsig.cli import inputs
from pgpsig.cli.options import (
    PASSPHRASE_ENV,
    Arg,
    At,
    Json,
    Keyrings,
    Opt,
    PassphraseEnv,
    PassphraseFile,
    PolicyName,
    command,
)
from pgpsig.cli.output import EXIT_FAILED, EXIT_OK, Exit, emit, err, print_json, safe, usage
from pgpsig.errors import InputError, quoted

__all__ = [
    "key_certify",
    "key_export",
    "key_generate",
    "key_import",
    "key_list",
    "key_refresh",
    "key_revoke",
    "key_revoke_certification",
]


#: ``--reason`` of the revocations.
_Reason = Annotated[
    str,
    Opt(
        "--reason",
        metavar="NAME",
        help="Why it is revoked (uid-invalid: the user ID is no longer the holder's).",
        complete="pgpsig.keys.certifying:REVOCATION_REASONS",
    ),
]


def _value_error(e: ValueError) -> NoReturn:
    """A ValueError from the key use cases is a usage error (bad reason, expiry, user ID...)."""
    usage(str(e))


def _key_files(paths: list[Path]) -> list[tuple[str, bytes]]:
    """The content of each named file, and of every key file in each named directory."""
    from pgpsig.certs.keyring import KEY_SUFFIXES

    out: list[tuple[str, bytes]] = []
    for p in paths:
        if p.is_dir():
            try:
                names = sorted(p.iterdir())
            except OSError as e:
                raise InputError(f"cannot list {p}: {e.strerror or e}") from e
            out.extend(
                (str(f), inputs.read(f))
                for f in names
                if f.is_file() and f.suffix.lower() in KEY_SUFFIXES
            )
        else:
            out.append((str(p), inputs.read(p)))
    return out


def _cert_input(ref: str) -> bytes:
    """CERT of certify/revoke-certification: a certificate file, or a key of the store."""
    from pgpsig.certs.keyring import cert_to_bytes

    p = Path(ref)
    if p.is_file():
        return inputs.read(p)
    ring = inputs.key_store(None).load()
    cert = ring.find_primary(ref)  # a subkey's copy in another certificate is not this key
    if cert is None:
        raise InputError(
            f"{ref}: neither a certificate file nor the primary fingerprint or key ID of a key"
            " of the store"
        )
    data: bytes = cert_to_bytes(cert)
    return data


@command("key", "generate")
def key_generate(
    uid: Annotated[
        str, Opt("--uid", help="The user ID, e.g. 'Jane Developer <jane@example.org>'.")
    ],
    out: Annotated[
        Path, Opt("--out", help="Where to write the secret key (created with mode 0600).")
    ],
    algorithm: Annotated[
        str,
        Opt(
            "--algorithm",
            metavar="NAME",
            help="Public-key algorithm of the key (and of its subkey).",
            complete="pgpsig.keys.generate:ALGORITHMS",
        ),
    ] = "ed25519",
    profile: Annotated[
        str,
        Opt(
            "--profile",
            metavar="NAME",
            help="Key version: v4 is read by gpg 2.2 and FreePBX, v6 is RFC 9580's.",
            complete="pgpsig.keys.generate:PROFILES",
        ),
    ] = "v4",
    expires: Annotated[
        str | None,
        Opt(
            "--expires",
            help="Lifetime: 2y, 6m, 3w, 90d, a date (2027-01-31), or never (default).",
            metavar="DURATION",
        ),
    ] = None,
    signing_subkey: Annotated[
        bool,
        Opt(
            "--signing-subkey",
            help="Make a certify-only primary key and a separate signing subkey.",
        ),
    ] = False,
    cert_out: Annotated[
        Path | None,
        Opt("--cert-out", help="Also write the public certificate to this file."),
    ] = None,
    force: Annotated[bool, Opt("--force", help="Overwrite an existing --out.")] = False,
    passphrase_file: PassphraseFile = None,
    passphrase_env: PassphraseEnv = PASSPHRASE_ENV,
    as_json: Json = False,
) -> None:
    """Generate a key: Ed25519 (or RSA), self-signed, passphrase-protected when one is given."""
    from pgpsig.keys import generate_key, parse_expiry

    now = inputs.now(None)
    if out.exists() and not force:
        usage(f"{out} exists; give --force to overwrite it")
    passphrase = inputs.passphrase(passphrase_file, passphrase_env) or None  # empty: unprotected
    try:
        seconds = parse_expiry(expires, now=now) if expires is not None else None
        key = generate_key(
            uid,
            now=now,
            algorithm=algorithm,
            profile=profile,
            expires_after=seconds,
            passphrase=passphrase,
            signing_subkey=signing_subkey,
        )
    except ValueError as e:
        _value_error(e)
    emit(out, key.secret_key, mode=0o600)
    if cert_out is not None:
        emit(cert_out, key.certificate)
    if passphrase is None:
        err(f"warning: the secret key in {out} is not protected by a passphrase")
    if as_json:
        print_json({**key.to_dict(), "out": str(out)})
    else:
        print(f"generated {key.algorithm} key {key.fingerprint} ({key.profile})")
        print(f"  user ID  {safe(key.user_id)}")
        if key.signing_fingerprint != key.fingerprint:
            print(f"  signing subkey {key.signing_fingerprint}")
        if key.expires is not None:
            print(f"  expires  {key.expires.strftime('%Y-%m-%dT%H:%M:%SZ')}")
        print(f"  secret key written to {safe(str(out))}")
        if cert_out is not None:
            print(f"  certificate written to {safe(str(cert_out))}")
    raise Exit(EXIT_OK)


@command("key", "export")
def key_export(
    secret_key: Annotated[Path, Arg(help="The secret key file.")],
    out: Annotated[
        Path | None, Opt("--out", help="Write the certificate here (default: stdout).")
    ] = None,
) -> None:
    """Write the public certificate of a secret key (no passphrase needed)."""
    from pgpsig.keys import export_certificate

    result = export_certificate(inputs.read(secret_key))
    for note in result.notes:
        err(f"warning: {note}")
    emit(out, result.certificate)
    if out is not None:
        print(f"certificate of {result.fingerprint} written to {safe(str(out))}")
    raise Exit(EXIT_OK)


def _print_key(info: dict[str, Any]) -> None:
    """One certificate of ``key list``, for people."""

    def day(t: str | None) -> str:
        return t[:10] if t else "-"

    marks = f"[{info['validity']}]"
    if info.get("trust_root"):
        marks += " [trust root]"
    if info["expires"]:
        marks += f" expires {day(info['expires'])}"
    print(f"pub   {info['algorithm']} {info['bits']}  {day(info['created'])}  {marks}")
    print(f"      {info['fingerprint']}")
    rev = info.get("revocation")
    if rev is not None:
        msg = f": {quoted(rev['message'])}" if rev["message"] else ""
        print(f"      revoked {day(rev['created'])} ({rev['reason']}){safe(msg)}")
    elif info["validity"] != "valid" and info.get("reason"):
        print(f"      {safe(info['reason'])}")
    for u in info["user_ids"]:
        state = " [revoked]" if u in info["revoked_user_ids"] else ""
        print(f"uid   {safe(u)}{state}")
    for s in info["subkeys"]:
        flags = ",".join(s["flags"]) or "-"
        print(
            f"sub   {s['algorithm']} {s['bits']}  {day(s['created'])}  [{s['validity']}]  {flags}"
            + (f"  expires {day(s['expires'])}" if s["expires"] else "")
        )
        print(f"      {s['fingerprint']}")
    for c in info["certifications"]:
        print(f"cert  by {c['issuer']} ({c['status']}, {day(c['created'])})")
        if c["status"] != "valid" and c["reason"]:
            print(f"      {safe(c['reason'])}")
    print()


@command("key", "list")
def key_list(
    keyring: Keyrings = None,
    at: At = None,
    policy: PolicyName = "default",
    as_json: Json = False,
) -> None:
    """List certificates: validity, expiry, revocation, subkeys, certifications."""
    from pgpsig.certs.keyring import load_keyring
    from pgpsig.keys import list_keys

    now = inputs.now(at)
    pol = inputs.policy(policy)
    roots = None  # unknown for a --keyring: check may be given other roots
    applied = None  # the store's feeds in force; none for a --keyring
    if keyring:
        ring = load_keyring(keyring)
    else:
        from pgpsig.certs.feeds import add_applied

        store = inputs.key_store(None)
        ring = store.load(strict_revocations=True, feeds=False)  # a judgement: fail closed
        applied = add_applied(ring, store.feeds_dir)  # the feeds read once: content and listing
    inputs.ring_warnings(ring)
    if not keyring:
        roots = inputs.trust_roots(ring, [])
    fprs = None if roots is None else roots.fingerprints
    infos = [k.to_dict() for k in list_keys(ring, now=now, policy=pol, roots=fprs)]
    if as_json:
        print_json(
            {
                "keys": infos,
                "problems": list(ring.problems),
                "trust_roots": None if roots is None else [o.to_dict() for o in roots.origins],
                "feeds": None if applied is None else [a.to_dict(now) for a in applied],
            }
        )
    else:
        for info in infos:
            _print_key(info)
        print(f"{len(infos)} certificate(s)")
        for a in applied or ():
            from pgpsig.report import iso

            state = "fresh until" if a.fresh(now) else "EXPIRED"
            print(
                f"feed of trust root {a.root} made {iso(a.feed.created)}:"
                f" {state} {iso(a.feed.expires)}"
            )
    raise Exit(EXIT_OK)


@command("key", "import")
def key_import(
    files: Annotated[
        list[Path],
        Arg(help="Certificates, revocation certificates, or directories of them."),
    ],
    keyring: Annotated[
        Path | None,
        Opt("--keyring", help="Import into this keyring directory instead of the store."),
    ] = None,
    as_json: Json = False,
) -> None:
    """Import certificates and revocations into the store (merged, verified, atomic)."""
    from pgpsig.keys import import_keys

    sources = _key_files(files)
    if not sources:
        usage("no key file found in the given directories")
    report = import_keys(inputs.key_store(keyring), sources)
    for prob in report.problems:
        err(f"warning: skipped {prob}")
    if as_json:
        print_json(report.to_dict())
    else:
        for item in report.items:
            who = item.fingerprint or safe(item.source)
            uid = f"  {safe(item.user_id)}" if item.user_id else ""
            print(f"{item.status:<10} {who}{uid}")
            for d in item.details:
                print(f"           {safe(d)}")
    raise Exit(EXIT_OK if report.ok else EXIT_FAILED)


@command("key", "certify")
def key_certify(
    cert: Annotated[str, Arg(help="Certificate file, or a key of the store.")],
    with_key: Annotated[Path, Opt("--with", help="The master's secret key that certifies.")],
    out: Annotated[
        Path | None,
        Opt("--out", help="Write the certified certificate here (default: stdout)."),
    ] = None,
    trust_signature: Annotated[
        str | None,
        Opt(
            "--trust-signature",
            help="Depth and amount of a trust signature (FreePBX's masters write 1:60).",
            metavar="DEPTH:AMOUNT",
        ),
    ] = None,
    policy: Annotated[
        str,
        Opt("--policy", help="Policy profile.", complete="pgpsig.policy:PROFILES", metavar="NAME"),
    ] = "default",
    passphrase_file: PassphraseFile = None,
    passphrase_env: PassphraseEnv = PASSPHRASE_ENV,
) -> None:
    """Certify every valid user ID of CERT with a master key (0x10 certifications)."""
    from pgpsig.keys import certify

    now = inputs.now(None)
    trust = None
    if trust_signature is not None:
        depth, sep, amount = trust_signature.partition(":")
        if not sep or not depth.isdigit() or not amount.isdigit():
            usage("--trust-signature: expected DEPTH:AMOUNT, e.g. 1:60")
        trust = (int(depth), int(amount))
    data = _cert_input(cert)
    master = inputs.read(with_key)
    try:
        pol = inputs.policy(policy)
        result = inputs.unlocked(
            lambda secret: certify(
                data, master, passphrase=secret, now=now, policy=pol, trust=trust
            ),
            passphrase_file,
            passphrase_env,
        )
    except ValueError as e:
        _value_error(e)
    emit(out, result.certificate)
    say = _reporter(out)
    for uid in result.skipped:
        say(f"note: {safe(quoted(uid))} is already certified by {result.by}")
    for uid in result.user_ids:
        say(f"certified {safe(quoted(uid))} of {result.fingerprint} with {result.by}")
    if out is not None:
        say(f"certificate written to {safe(str(out))}")
    raise Exit(EXIT_OK)


def _reporter(out: Path | None) -> Callable[[str], None]:
    """Where a command's report goes: stdout, or stderr when stdout carries its output (no --out)."""
    return err if out is None else print


@command("key", "revoke")
def key_revoke(
    key: Annotated[Path, Arg(help="The secret key to revoke.")],
    reason: _Reason,
    out: Annotated[Path, Opt("--out", help="Where to write the revocation certificate.")],
    message: Annotated[
        str, Opt("--message", help="One line saying why (part of the revocation).")
    ] = "",
    passphrase_file: PassphraseFile = None,
    passphrase_env: PassphraseEnv = PASSPHRASE_ENV,
) -> None:
    """Write a revocation certificate (0x20) for KEY; import it anywhere to revoke the key."""
    from pgpsig.keys import revoke_key

    now = inputs.now(None)
    try:
        key_data = inputs.read(key)
        result = inputs.unlocked(
            lambda secret: revoke_key(
                key_data, passphrase=secret, reason=reason, message=message, now=now
            ),
            passphrase_file,
            passphrase_env,
        )
    except ValueError as e:
        _value_error(e)
    emit(out, result.revocation)
    print(
        f"revocation certificate ({result.reason}) for {result.fingerprint} written to "
        f"{safe(str(out))}; import it to revoke the key"
    )
    raise Exit(EXIT_OK)


@command("key", "revoke-certification")
def key_revoke_certification(
    cert: Annotated[str, Arg(help="Certificate file, or a key of the store.")],
    with_key: Annotated[Path, Opt("--with", help="The master's secret key that certified CERT.")],
    reason: _Reason = "unspecified",
    message: Annotated[str, Opt("--message", help="One line saying why.")] = "",
    out: Annotated[
        Path | None,
        Opt("--out", help="Write the certificate with the revocation (default: stdout)."),
    ] = None,
    passphrase_file: PassphraseFile = None,
    passphrase_env: PassphraseEnv = PASSPHRASE_ENV,
) -> None:
    """Revoke the master's certifications of CERT (0x30); import the result to apply it."""
    from pgpsig.keys import revoke_certification

    now = inputs.now(None)
    data = _cert_input(cert)
    try:
        master = inputs.read(with_key)
        result = inputs.unlocked(
            lambda secret: revoke_certification(
                data, master, passphrase=secret, reason=reason, message=message, now=now
            ),
            passphrase_file,
            passphrase_env,
        )
    except ValueError as e:
        _value_error(e)
    emit(out, result.certificate)
    say = _reporter(out)
    for uid in result.user_ids:
        say(
            f"revoked the certification of {safe(quoted(uid))} ({result.fingerprint})"
            f" by {result.by}"
        )
    if out is not None:
        say(f"certificate written to {safe(str(out))}")
    raise Exit(EXIT_OK)


@command("key", "refresh")
def key_refresh(
    keyserver: Annotated[
        str | None,
        Opt(
            "--keyserver",
            help="HKP keyserver: hkps://host, hkp://host, https://host or a host.",
            metavar="URL",
        ),
    ] = None,
    wkd: Annotated[
        str | None,
        Opt("--wkd", help="URL of a Web Key Directory (the directory holding hu/).", metavar="URL"),
    ] = None,
    timeout: Annotated[float, Opt("--timeout", help="Seconds allowed for each lookup.")] = 10.0,
    keyring: Annotated[
        Path | None,
        Opt("--keyring", help="Refresh this keyring directory instead of the store."),
    ] = None,
    as_json: Json = False,
) -> None:
    """Fetch newer copies of the stored certificates (never run by check or verify)."""
    from pgpsig.keys import refresh

    if keyserver is None and wkd is None:
        usage("give --keyserver URL and/or --wkd URL (pgpsig contacts no server by default)")
    fetch = inputs.fetcher(timeout)
    report = refresh(inputs.key_store(keyring), fetch=fetch, keyserver=keyserver, wkd=wkd)
    for prob in report.problems:
        err(f"warning: skipped {prob}")
    if as_json:
        print_json(report.to_dict())
    else:
        for item in report.items:
            line = f"{item.status:<10} {item.fingerprint} ({item.source})"
            if item.detail and item.status != "unchanged":
                line += f": {item.detail}"
            print(safe(line))
        if not report.items:
            print("nothing to refresh: the store holds no certificate (or no matching address)")
    raise Exit(EXIT_OK if report.ok else EXIT_FAILED)
