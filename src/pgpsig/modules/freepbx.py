"""FreePBX specifics in one place: its master keys, its install layout, its local signatures.

This module owns what pgpsig knows of a FreePBX install (``FREEPBX.md``): the master keys that are
the preset's trust roots (:data:`FREEPBX_ROOTS`), the default installed paths of the framework
(:data:`FREEPBX_DEFAULT_PATHS`), where each listed file of a module is installed
(:meth:`FreePBXLayout.destination`, FreePBX's ``Installer::getDestination`` with validation on),
the ``--freepbx-webroot`` preset (:func:`freepbx_preset`: keyring directories, modules directory,
policy, roots), and local signatures (``sign.php --local``: a ``type=local`` tag whose one entry
names a root-owned copy of the full manifest in the secure directory, :func:`local_manifest`).

It leaves out how signatures are judged (the caller passes a function for that, see
:func:`local_manifest`) and everything that is not FreePBX's own.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path

from pgpsig._dataclass import dataclass, field
from pgpsig.errors import FormatError, InputError
from pgpsig.modules.manifest import Manifest, parse_signed
from pgpsig.modules.verdict import SignatureVerdict
from pgpsig.report import Status

__all__ = [
    "FREEPBX_DEFAULT_PATHS",
    "FREEPBX_POLICY",
    "FREEPBX_ROOTS",
    "FreePBXLayout",
    "FreePBXPreset",
    "freepbx_preset",
    "local_manifest",
]

#: The FreePBX master keys (v2 since 2019-12, v1 before): the preset's trust roots.
FREEPBX_ROOTS = (
    "0BDE0BFA09946D732091E26E1588A7366BD35B34",
    "2016349F5BC6F49340FCCAF99F9169F4B33B4659",
)
#: FreePBX's default installed paths used by the framework mapping (``/etc/freepbx.conf``).
FREEPBX_DEFAULT_PATHS = {
    "AMPBIN": "/var/lib/asterisk/bin",
    "AMPSBIN": "/usr/sbin",
    "ASTAGIDIR": "/var/lib/asterisk/agi-bin",
    "ASTVARLIBDIR": "/var/lib/asterisk",
}
#: The policy of the preset: FreePBX's mirror signs with SHA-1 to this day.
FREEPBX_POLICY = "freepbx-legacy"
#: FreePBX's secure directory of local signatures.
FREEPBX_SECURE_DIR = Path("/etc/freepbx.secure")


@dataclass(frozen=True, slots=True)
class FreePBXLayout:
    """A FreePBX webroot: where the framework's files are installed, and the secure directory."""

    webroot: Path
    paths: dict[str, str] = field(default_factory=lambda: dict(FREEPBX_DEFAULT_PATHS))
    secure_dir: Path = FREEPBX_SECURE_DIR
    #: Owner the secure directory and files must have (FreePBX: root).
    secure_owner: int | None = 0
    #: The framework's mapping, (prefix, installed base) in order; made once (a framework lists
    #: 8,000 files, and a Path costs several microseconds to make).
    _mapping: tuple[tuple[str, Path], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        mapping = (
            ("amp_conf/htdocs/", self.webroot),
            ("amp_conf/bin/", Path(self.paths["AMPBIN"])),
            ("amp_conf/sbin/", Path(self.paths["AMPSBIN"])),
            ("amp_conf/agi-bin/", Path(self.paths["ASTAGIDIR"])),
            ("amp_conf/sounds/", Path(self.paths["ASTVARLIBDIR"]) / "sounds"),
        )
        object.__setattr__(self, "_mapping", mapping)

    def destination(self, module: str, module_dir: Path, rel: str) -> tuple[Path, str] | None:
        """(base directory, path below it) of a listed file, or None when FreePBX skips it.

        Every module maps to its own directory, except ``framework`` (FreePBX's
        ``Installer::getDestination`` with validation on). The same base is the same object
        for every file of a run.
        """
        if module != "framework":
            return module_dir, rel
        if rel.startswith(("amp_conf/astetc/", "amp_conf/moh/", "upgrades/")):
            return None
        for prefix, base in self._mapping:
            if rel.startswith(prefix):
                return base, rel[len(prefix) :]
        return module_dir, rel


@dataclass(frozen=True, slots=True)
class FreePBXPreset:
    """What ``--freepbx-webroot DIR`` stands for.

    Attributes:
        layout: The install layout (framework mapping, secure directory).
        keyring: The key directories that exist among ``DIR/admin/libraries/BMO`` and its
            ``signatures`` directory.
        modules_dir: ``DIR/admin/modules``.
        policy: The policy's name (:data:`FREEPBX_POLICY`).
        roots: The trust roots (:data:`FREEPBX_ROOTS`).
    """

    layout: FreePBXLayout
    keyring: tuple[Path, ...]
    modules_dir: Path
    policy: str
    roots: tuple[str, ...]


def freepbx_preset(
    webroot: Path, *, secure_dir: Path | None = None, paths: Sequence[str] = ()
) -> FreePBXPreset:
    """The FreePBX preset of the install at ``webroot``.

    Args:
        webroot: The FreePBX webroot (``AMPWEBROOT``).
        secure_dir: The secure directory of local signatures (None: :data:`FREEPBX_SECURE_DIR`).
        paths: ``NAME=DIR`` items overriding :data:`FREEPBX_DEFAULT_PATHS`.

    Returns:
        The preset.

    Raises:
        InputError: an item of ``paths`` is not ``NAME=DIR`` with a known NAME.
    """
    bmo = webroot / "admin" / "libraries" / "BMO"
    keyring = tuple(p for p in (bmo, bmo / "signatures") if p.is_dir())
    table = dict(FREEPBX_DEFAULT_PATHS)
    for item in paths:
        name, sep, value = item.partition("=")
        if not sep or name not in table or not value:
            raise InputError(
                f"--freepbx-path: expected NAME=DIR with NAME in {', '.join(FREEPBX_DEFAULT_PATHS)}"
            )
        table[name] = value
    return FreePBXPreset(
        layout=FreePBXLayout(
            webroot=webroot, paths=table, secure_dir=secure_dir or FREEPBX_SECURE_DIR
        ),
        keyring=keyring,
        modules_dir=webroot / "admin" / "modules",
        policy=FREEPBX_POLICY,
        roots=FREEPBX_ROOTS,
    )


#: Judges a clear-signed file: its verdict, and the chunks of the text a good signature covers
#: (None unless one does).
JudgeSignedFile = Callable[[bytes], tuple[SignatureVerdict, list[bytes] | None]]


def local_manifest(
    tag: Manifest, layout: FreePBXLayout | None, judge: JudgeSignedFile
) -> Manifest | str:
    """The manifest a local tag stands for, or why it cannot be used.

    The tag must list exactly one file, ``<secure dir>/<that path>``; the secure directory and
    the file must not be symbolic links and must be owned by ``layout.secure_owner``; the file's
    SHA-256 must be the one listed; its signature must be good and its signer trusted
    (``judge``); and its text must be a manifest.

    Args:
        tag: The signed ``module.sig`` manifest, a local tag (:func:`~pgpsig.modules.manifest.is_local_tag`).
        layout: The FreePBX layout; None outside the preset (then the tag cannot be used).
        judge: Verifies a clear-signed file as ``module.sig`` is verified.

    Returns:
        The secure copy's manifest, or why the tag cannot be used.
    """
    if layout is None:
        return "local signature (type=local) needs the FreePBX preset's secure directory"
    if len(tag.entries) != 1:
        return "local signature tag must list exactly one file"
    entry = tag.entries[0]
    d = layout.secure_dir
    f = d / entry.path
    try:
        dst = os.lstat(d)
        fst = os.lstat(f)
    except OSError as e:
        return f"secure signature {f} unavailable: {e.strerror or e}"
    if stat.S_ISLNK(dst.st_mode) or stat.S_ISLNK(fst.st_mode) or not stat.S_ISREG(fst.st_mode):
        return f"secure signature {f} or its directory is a symbolic link or not a file"
    owner = layout.secure_owner
    if owner is not None and (dst.st_uid != owner or fst.st_uid != owner):
        return f"secure signature {f} or its directory is not owned by uid {owner}"
    try:
        data = f.read_bytes()
    except OSError as e:
        return f"cannot read {f}: {e.strerror or e}"
    if hashlib.sha256(data).hexdigest() != entry.sha256:
        return f"secure signature {f} does not match its tag"
    verdict, chunks = judge(data)
    del data
    if verdict.status != Status.GOOD | Status.TRUSTED or chunks is None:
        return f"secure signature {f}: " + (
            verdict.details[0] if verdict.details else "not trusted"
        )
    try:
        return parse_signed(chunks)
    except FormatError as e:
        return f"secure signature {f}: malformed manifest: {e}"
