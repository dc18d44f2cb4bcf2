"""Keys and signed manifests for the ``check``/``sign`` tests, made with gpg as a key factory.

gpg makes every key once per test session (:func:`factory`), in two temporary GNUPGHOMEs:

* the *truth* home holds every key with its full history: certifications by the root, the root's
  revocation of one certification, a changed expiry, hard and soft key revocations. The public
  certificates of the keyring (``Factory.keyring``) and the secret keys given to ``pgpsig sign``
  are exported from it.
* the *signing* home holds the same secret keys as they were *before* any expiry change or
  revocation, so that gpg can still clear-sign with them at a (faked) past time: a module signed
  before its key was revoked, or after a key expired (gpg refuses to sign with a key it knows to
  be expired or revoked).

Timeline (days before the session's real time ``NOW``): root made at -30; developer keys at -20;
certifications by the root at -19; the ``expired`` key gets a self-signature at -19 that makes it
expire at -18; the root revokes its certification of ``certrev`` at -15; old modules are signed
at -10; ``hardrev`` (compromised) and ``softrev`` (superseded) are revoked at -5.

One certificate is not made by gpg alone: ``nobacksig``, the ``subdev`` key whose signing-subkey
binding is re-made without its embedded 0x19 back-signature (gpg always makes one) with pgpsig's
own packet primitives (:func:`strip_backsig`).

This module also holds the test side's *independent* rendering of devtools ``sign.php`` (v2):
:func:`signphp_hashes` walks a tree the way ``sign.php`` does (recursive ``scandir`` in C-locale
order, dot names skipped at every depth, ``module.sig`` left out) and :func:`signphp_body` writes
the manifest text, so that tests compare pgpsig's output with rules written down here, not with
pgpsig's own renderer.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

from conftest import require_oracle

#: The session's reference time (real time, whole seconds); every key time is relative to it.
NOW = datetime.now(timezone.utc).replace(microsecond=0)

#: Passphrase of the ``pp`` key.
PASSPHRASE = "correct horse battery staple"


def days_ago(n: float) -> datetime:
    return NOW - timedelta(days=n)


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _faked(t: datetime | None) -> list[str]:
    return [] if t is None else ["--faked-system-time", t.strftime("%Y%m%dT%H%M%S!")]


# --------------------------------------------------------------------------------------------------
# gpg


@dataclass
class Gpg:
    """One GNUPGHOME."""

    home: Path

    def __post_init__(self) -> None:
        self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.env = {**os.environ, "GNUPGHOME": str(self.home), "TZ": "UTC", "LC_ALL": "C"}

    def run(
        self,
        *args: str | Path,
        at: datetime | None = None,
        stdin: bytes | None = None,
        batch: bool = True,
        passphrase: str = "",
    ) -> subprocess.CompletedProcess[bytes]:
        mode = ["--batch"] if batch else ["--no-tty"]
        return subprocess.run(
            [
                require_oracle("gpg"),
                *mode,
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                passphrase,
                *_faked(at),
                *map(str, args),
            ],
            input=stdin,
            capture_output=True,
            env=self.env,
            check=False,
            timeout=120,
        )

    def __call__(
        self,
        *args: str | Path,
        at: datetime | None = None,
        stdin: bytes | None = None,
        batch: bool = True,
        passphrase: str = "",
    ) -> bytes:
        r = self.run(*args, at=at, stdin=stdin, batch=batch, passphrase=passphrase)
        assert r.returncode == 0, (args, r.stderr.decode(errors="replace"))
        return r.stdout

    def fingerprints(self, selector: str) -> list[str]:
        out = self("--with-colons", "--list-keys", selector).decode()
        return [ln.split(":")[9] for ln in out.splitlines() if ln.startswith("fpr:")]

    def close(self) -> None:
        gpgconf = shutil.which("gpgconf")
        if gpgconf is not None:  # stop the agent this home started
            subprocess.run(
                [gpgconf, "--kill", "gpg-agent"],
                env=self.env,
                capture_output=True,
                check=False,
                timeout=30,
            )


# --------------------------------------------------------------------------------------------------
# The factory


@dataclass
class Key:
    """A key of the factory and its exported files.

    ``signer`` is what gpg's ``--local-user`` gets (a subkey with ``!`` for ``subdev``);
    ``cert``/``cert_bin`` are the public certificate (armored, binary) as the truth home has it;
    ``secret`` the armored secret key (as the truth home has it, revocations included).
    """

    label: str
    fpr: str
    signer: str
    cert: Path
    cert_bin: Path
    secret: Path
    subkeys: tuple[str, ...] = ()


@dataclass
class Factory:
    """Every key of the session, the keyring directory, and gpg to sign with."""

    work: Path
    truth: Gpg
    signing: Gpg
    keys: dict[str, Key] = field(default_factory=dict)
    #: Directory of ``*.asc`` certificates: every key except the variant ``nobacksig``.
    keyring: Path = Path()
    #: Directory holding the root and ``nobacksig`` (``subdev`` with its back-signature stripped).
    keyring_nobacksig: Path = Path()
    _n: int = 0

    def __getitem__(self, label: str) -> Key:
        return self.keys[label]

    @property
    def root(self) -> Key:
        return self.keys["root"]

    def scratch(self, name: str) -> Path:
        self._n += 1
        d = self.work / "scratch" / f"{self._n:04d}-{name}"
        d.mkdir(parents=True)
        return d

    def clearsign(
        self, label: str, text: bytes, *, digest: str = "SHA256", at: datetime | None = None
    ) -> bytes:
        """``text`` clear-signed by gpg with the key ``label`` (its pre-revocation state)."""
        d = self.scratch("clearsign")
        src = d / "body.txt"
        src.write_bytes(text)
        out = d / "body.txt.asc"
        self.signing(
            "--local-user",
            self.keys[label].signer,
            "--digest-algo",
            digest,
            "--clearsign",
            "--output",
            out,
            src,
            at=at,
        )
        return out.read_bytes()

    def close(self) -> None:
        self.truth.close()
        self.signing.close()


#: label -> (algorithm, usage) of the keys made at -20 days. ``subdev`` gets a signing subkey.
DEV_KEYS = {
    "dev": ("ed25519", "sign"),
    "devrsa": ("rsa2048", "sign"),
    "stranger": ("ed25519", "sign"),
    "certrev": ("ed25519", "sign"),
    "hardrev": ("ed25519", "sign"),
    "softrev": ("ed25519", "sign"),
    "expired": ("ed25519", "sign"),
    "subdev": ("ed25519", "cert"),
}
#: Keys the root certifies (everyone but ``stranger``).
CERTIFIED = ("dev", "devrsa", "certrev", "hardrev", "softrev", "expired", "subdev", "pp")


def _gen(g: Gpg, label: str, algo: str, usage: str, at: datetime, passphrase: str = "") -> str:
    uid = f"{label} <{label}@example.org>"
    g("--quick-gen-key", uid, algo, usage, "never", at=at, passphrase=passphrase)
    fprs = g.fingerprints(f"<{label}@example.org>")
    assert len(fprs) == 1, fprs
    return fprs[0]


def _gen_revoke(g: Gpg, fpr: str, menu_reason: str, at: datetime, out: Path) -> Path:
    """A key revocation (gpg's menu: 1 compromised, 2 superseded, 3 no longer used)."""
    answers = f"y\n{menu_reason}\nrevoked by the test key factory\n\ny\n".encode()
    g(
        "--yes",
        "--command-fd",
        "0",
        "--output",
        out,
        "--gen-revoke",
        fpr,
        stdin=answers,
        batch=False,  # gpg refuses --gen-revoke in batch mode
        at=at,
    )
    return out


def strip_backsig(cert: bytes, secret: bytes) -> bytes:
    """``cert`` (binary) with every subkey binding re-made without its embedded 0x19 back-signature.

    The new binding (0x18) keeps the old one's creation time and hashed subpackets (key flags,
    expiry, ...) except the embedded signature (32); it is made with the primary secret key from
    ``secret`` by pgpsig's own signing primitives.
    """
    from pgpsig.openpgp import packets, write
    from pgpsig.openpgp.secretkey import load_signing_keys
    from pgpsig.openpgp.signing import signature_packet
    from pgpsig.openpgp.write import key_hash_input, subpacket

    primary_key = next(k for k in load_signing_keys(secret) if k.is_primary)
    out: list[bytes] = []
    primary_body: bytes | None = None
    subkey_body: bytes | None = None
    replaced = 0
    for p in packets.iter_packets(cert):
        body = p.body
        if p.tag == 6:
            primary_body = body
        elif p.tag == 14:
            subkey_body = body
        elif p.tag == 2 and subkey_body is not None:
            sig = packets.parse_signature(body)
            if sig.sig_type == 0x18:
                assert primary_body is not None
                assert any(sp.type == 32 for sp in sig.hashed + sig.unhashed)
                kept = [
                    subpacket(sp.type, sp.body, critical=sp.critical)
                    for sp in sig.hashed
                    if sp.type not in (2, 32, 33)
                ]
                assert sig.created is not None
                new = signature_packet(
                    primary_key,
                    key_hash_input(primary_body) + key_hash_input(subkey_body),
                    sig_type=0x18,
                    created=sig.created,
                    hash_name="SHA256",
                    extra_hashed_subpackets=kept,
                )
                check = packets.parse_signature(next(packets.iter_packets(new)).body)
                assert not any(sp.type == 32 for sp in check.hashed + check.unhashed)
                out.append(new)
                replaced += 1
                continue
        out.append(write.packet_header(p.tag, len(body)) + body)
    assert replaced == 1, replaced
    return b"".join(out)


def _build(work: Path) -> Factory:
    truth = Gpg(work / "truth-home")
    signing = Gpg(work / "signing-home")
    f = Factory(work=work, truth=truth, signing=signing)
    fprs: dict[str, str] = {"root": _gen(truth, "root", "ed25519", "sign", days_ago(30))}
    for label, (algo, usage) in DEV_KEYS.items():
        fprs[label] = _gen(truth, label, algo, usage, days_ago(20))
    fprs["pp"] = _gen(truth, "pp", "ed25519", "sign", days_ago(20), passphrase=PASSPHRASE)
    truth("--quick-add-key", fprs["subdev"], "ed25519", "sign", "never", at=days_ago(20))
    root = fprs["root"]
    for label in CERTIFIED:
        truth("--local-user", root, "--quick-sign-key", fprs[label], at=days_ago(19))
    truth("--local-user", root, "--quick-revoke-sig", fprs["certrev"], root, at=days_ago(15))

    # The signing home: every unprotected secret key as it is now (before expiry and revocation).
    unprotected = [fp for label, fp in fprs.items() if label != "pp"]
    signing("--import", stdin=truth("--export-secret-keys", *unprotected))

    truth("--quick-set-expire", fprs["expired"], "1d", at=days_ago(19))
    revs = work / "revocations"
    revs.mkdir()
    for label, reason in (("hardrev", "1"), ("softrev", "2")):
        rev = _gen_revoke(truth, fprs[label], reason, days_ago(5), revs / f"{label}.rev")
        truth("--import", rev, at=days_ago(5))

    exported = work / "exported"
    exported.mkdir()
    f.keyring = work / "keyring"
    f.keyring.mkdir()
    f.keyring_nobacksig = work / "keyring-nobacksig"
    f.keyring_nobacksig.mkdir()
    for label, fpr in fprs.items():
        cert = f.keyring / f"{label}.asc"
        cert.write_bytes(truth("--armor", "--export", fpr))
        cert_bin = exported / f"{label}.gpg"
        cert_bin.write_bytes(truth("--export", fpr))
        secret = exported / f"{label}.sec.asc"
        pw = PASSPHRASE if label == "pp" else ""
        secret.write_bytes(truth("--armor", "--export-secret-keys", fpr, passphrase=pw))
        listing = truth("--with-colons", "--list-keys", fpr).decode().splitlines()
        subs = tuple(
            listing[i + 1].split(":")[9]
            for i, ln in enumerate(listing)
            if ln.startswith("sub:") and i + 1 < len(listing)
        )
        signer = f"{subs[0]}!" if label == "subdev" else fpr
        f.keys[label] = Key(label, fpr, signer, cert, cert_bin, secret, subs)

    sub = f.keys["subdev"]
    stripped = strip_backsig(sub.cert_bin.read_bytes(), truth("--export-secret-keys", sub.fpr))
    nb = exported / "nobacksig.gpg"
    nb.write_bytes(stripped)
    shutil.copy(f.keyring / "root.asc", f.keyring_nobacksig / "root.asc")
    (f.keyring_nobacksig / "nobacksig.gpg").write_bytes(stripped)
    f.keys["nobacksig"] = Key("nobacksig", sub.fpr, sub.signer, nb, nb, sub.secret, sub.subkeys)
    return f


_FACTORY: list[Factory] = []


def factory(tmp_path_factory: pytest.TempPathFactory) -> Factory:
    """The session's key factory, built on first use (shared by every test module)."""
    if not _FACTORY:
        work = tmp_path_factory.mktemp("keyfactory")
        built = _build(work)
        atexit.register(built.close)
        _FACTORY.append(built)
    return _FACTORY[0]


# --------------------------------------------------------------------------------------------------
# sign.php, written down independently of pgpsig


SIGNPHP_HEADER = (
    b";################################################\n"
    b";#        FreePBX Module Signature File         #\n"
    b";################################################\n"
    b";# Do not alter the contents of this file!  If  #\n"
    b";# this file is tampered with, the module will  #\n"
    b";# fail validation and be marked as invalid!    #\n"
    b";################################################\n"
    b"\n"
)


def sha256_file(p: Path) -> str:
    h = hashlib.sha256()
    with p.open("rb") as fp:
        while chunk := fp.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def signphp_hashes(root: Path, exclude: Sequence[str] = ()) -> dict[str, str]:
    """``sign.php``'s ``getHashes``: path -> sha256 in the order it lists them.

    A recursive ``scandir`` sorted bytewise (C locale), depth first, every name starting with
    ``.`` skipped at every depth, links followed, ``module.sig`` at the top left out; plus
    pgpsig's ``--exclude`` globs (matched against the path and each parent directory).
    """
    out: dict[str, str] = {}

    def excluded(rel: str) -> bool:
        parts = rel.split("/")
        return any(
            fnmatchcase("/".join(parts[: i + 1]), pat) for pat in exclude for i in range(len(parts))
        )

    def walk(d: Path, prefix: str) -> None:
        for name in sorted(os.listdir(d), key=os.fsencode):
            if name.startswith("."):
                continue
            rel = f"{prefix}{name}"
            if rel == "module.sig" or excluded(rel):
                continue
            p = d / name
            if p.is_dir():
                walk(p, rel + "/")
            else:
                out[rel] = sha256_file(p)

    walk(root, "")
    return out


def signphp_body(
    entries: Iterable[tuple[str, str]] | dict[str, str],
    *,
    signedwith: str = "0123456789ABCDEF",
    repo: str = "manual",
    type_: str = "public",
    version: int = 2,
    extra_config: Sequence[tuple[str, str]] = (),
    end: bool = True,
) -> bytes:
    """The text ``sign.php`` v2 pipes into ``gpg --clearsign`` (entries written as given)."""
    items = entries.items() if isinstance(entries, dict) else entries
    lines = [
        "[config]",
        f"version={version}",
        "hash=sha256",
        f"signedwith={signedwith}",
        "signedby=sign.php",
        f"repo={repo}",
        f"type={type_}",
        *(f"{k}={v}" for k, v in extra_config),
        "[hashes]",
        *(f"{path} = {digest}" for path, digest in items),
    ]
    if end:
        lines.append(";# End")
    return SIGNPHP_HEADER + "".join(f"{ln}\n" for ln in lines).encode("utf-8")


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    """Create ``files`` (relative path -> content) below ``root``."""
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return root
