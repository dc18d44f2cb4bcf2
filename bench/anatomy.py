"""A synthetic FreePBX webroot shaped like a real one, built deterministically from its anatomy.

The anatomy (``webroot-anatomy.json`` in the workplace's shared conformance directory, measured on
a stock FreePBX 16 webroot; :func:`fallback_anatomy` is a built-in miniature of the same form)
says what FreePBX leaves in ``admin/modules`` beside what each ``module.sig`` lists: unlisted
files per module, symbolic links inside modules and links that leave them (to elsewhere in the
webroot, or out of it), the ``_cache`` directory, a module with an empty ``module.sig``, and the
framework's listed links installed in the webroot. The fleet shape (``fleet.load_shape``) gives the
number of files each module's ``module.sig`` lists and the real file sizes.

:func:`plan` turns both into a :class:`Webroot` (a pure function: nothing is written); the
:class:`Webroot` is also the description a test or a benchmark uses to find every planted thing.
:func:`write` builds it, in FreePBX's order:

1. Every module's package is written (``fleet.write_install``: a PHP-module-like tree, sizes drawn
   from the real ones, pseudo-random contents, fixed seeds), the framework's with its
   ``amp_conf/`` tree and its listed links, and every module but the one with an empty
   ``module.sig`` is signed by pgpsig's library (``pgpsig.modules.sign.sign_modules``) with the
   developer key of :func:`make_keys`.
2. The framework is installed as FreePBX's installer does: ``amp_conf/htdocs/X`` to
   ``<webroot>/X``, ``amp_conf/bin/X`` to AMPBIN, ``amp_conf/agi-bin/X`` to ASTAGIDIR (this
   module's own table, :data:`FRAMEWORK_INSTALL`, written from FreePBX's installer and not taken
   from pgpsig, so that a test compares two independent renderings). Among the installed files are
   the test keys (``admin/libraries/BMO/*.key``, where the ``--freepbx-webroot`` preset reads keys)
   and the listed framework links, an absolute target rewritten into the fixture.
3. Then what FreePBX adds after install and no ``module.sig`` lists: unlisted regular files per
   module (dot-files such as ``.htaccess`` and ``.user.ini`` among them; a ``node_modules``-like
   nest for the modules with many), links inside modules (to files and directories of the same
   module), every link that leaves its module (absolute targets kept absolute, rewritten into the
   fixture: the real ``/var/www/html`` is ``<base>/var/www/html`` and ``/var/spool/...`` is
   ``<base>/var/spool/...``; their targets are made), ``_cache`` with ``*.tgz.gpg`` files, and
   the empty ``module.sig``.

The fixture is a small filesystem of its own under ``base``: the webroot is
``base/var/www/html``, AMPBIN ``base/var/lib/asterisk/bin``. ``scale`` multiplies every count of
files (listed, unlisted, ``_cache``; at least one each); 1.0 gives the real counts. Links are
always made as many as the anatomy says. The same anatomy, shape, scale, seed, keys and clock give
byte-identical trees.

This module imports pgpsig's library (keys, signing) and ``fleet``, nothing of the benchmark
harness or of the tests: ``bench/run.py`` and ``tests/modules/test_anatomy.py`` both use it.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import random
import stat
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import fleet

__all__ = [
    "CLOCK",
    "FRAMEWORK_INSTALL",
    "Keys",
    "Link",
    "Module",
    "Webroot",
    "build",
    "fallback_anatomy",
    "load_anatomy",
    "make_keys",
    "mirror",
    "plan",
    "write",
]

#: A fixed clock: when the keys are made and the modules signed.
CLOCK = datetime(2025, 1, 1, tzinfo=timezone.utc)
#: Where the real install lived; absolute link targets below it point into the webroot.
REAL_WEBROOT = "/var/www/html"
#: FreePBX's default installed paths of the framework's programs (``/etc/freepbx.conf``).
REAL_PATHS = {"AMPBIN": "/var/lib/asterisk/bin", "ASTAGIDIR": "/var/lib/asterisk/agi-bin"}
#: Where FreePBX's installer puts the framework's files (``Installer::getDestination``):
#: (prefix of the listed path, the directory it goes to). Other paths stay in the module.
FRAMEWORK_INSTALL = (
    ("amp_conf/htdocs/", "AMPWEBROOT"),
    ("amp_conf/bin/", "AMPBIN"),
    ("amp_conf/agi-bin/", "ASTAGIDIR"),
)
#: Files the module's ``module.sig`` lists when the fleet shape does not name the module.
SMALL_LISTED = 6
#: From this many unlisted files (unscaled) a module gets a ``node_modules`` nest.
NODE_MODULES_FROM = 500

# fmt: off
_FRAMEWORK_MODULE_FILES = ("LICENSE", "README.md", "install.php", "module.xml", "phpunit.xml",
                           "hooks/README.md", "hooks/logrotate", "hooks/switch-asterisk-version",
                           "hooks/upgrade-all-module", "hooks/yum-check-updates",
                           "hooks/yum-run-update", "hooks/yum-update-system")
_FRAMEWORK_BIN = ("amportal", "freepbx_engine", "freepbx_setting", "fwconsole",
                  "generate_hints.php", "retrieve_conf")
_FRAMEWORK_AGI = ("phpagi-asmanager.php", "phpagi.php")
_FRAMEWORK_HTDOCS = ("index.php", "admin/ajax.php", "admin/bootstrap.php", "admin/config.php",
                     "admin/functions.inc.php", "admin/index.php")
_KEY_FILES = ("admin/libraries/BMO/anatomy-master.key", "admin/libraries/BMO/anatomy-dev.key")
_PACKAGES = ("lodash", "async", "debug", "ms", "semver", "uuid", "ws", "moment", "express",
             "axios", "chalk", "commander", "yargs", "glob", "minimatch", "rimraf", "mkdirp",
             "bluebird", "underscore", "qs", "mime", "iconv-lite", "safe-buffer", "inherits",
             "readable-stream", "socket.io", "engine.io", "pm2", "protobufjs", "long")
_PACKAGE_DIRS = ("lib", "dist", "src", "build", "lib/internal", "dist/esm", "types", "bin")
_LANGUAGES = ("de_DE", "es_ES", "fr_FR", "he_IL", "it_IT", "ja_JP", "nl_NL", "pt_BR", "ru_RU",
              "sv_SE", "uk_UA", "zh_CN", "bg_BG", "hu_HU", "pl_PL", "tr_TR")
# fmt: on


# --- the description ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """A symbolic link planted after install.

    Attributes:
        module: The module it lies in.
        path: Its path relative to the module.
        target: Its target as in the real install (absolute ones are rewritten into the fixture
            by :meth:`Webroot.fixture_target`).
        kind: ``leaving-webroot`` (to elsewhere in the webroot), ``leaving-outside`` (out of the
            webroot), ``inside-file`` or ``inside-dir`` (to a file or directory of its module).
    """

    module: str
    path: str
    target: str
    kind: str


@dataclass(frozen=True)
class FrameworkLink:
    """A link the framework's ``module.sig`` lists, installed in the webroot."""

    entry: str  # the manifest entry (amp_conf/htdocs/...)
    installed_at: str  # relative to the webroot
    target: str  # as in the real install


@dataclass(frozen=True)
class Module:
    """One directory of ``admin/modules``.

    Attributes:
        name: The module's name.
        listed: (path, size) of every file its ``module.sig`` lists, as in its package (the
            framework's ``amp_conf/...`` paths included; see :meth:`Webroot.installed`).
        unlisted: (path, size) of the regular files added after install (dot-files among them).
        signed: False for the module with an empty ``module.sig``.
    """

    name: str
    listed: tuple[tuple[str, int], ...]
    unlisted: tuple[tuple[str, int], ...]
    signed: bool = True

    @property
    def entries(self) -> tuple[str, ...]:
        """The manifest entries (what ``module.sig`` lists)."""
        return tuple(p for p, _ in self.listed)

    @property
    def dotfiles(self) -> tuple[str, ...]:
        """The unlisted files whose name starts with ``.``."""
        return tuple(p for p, _ in self.unlisted if posixpath.basename(p).startswith("."))


@dataclass(frozen=True)
class Webroot:
    """A planned (and, after :func:`write`, built) fixture: where everything is.

    Paths are relative (to a module, or to the webroot) in the fields; the properties and methods
    give absolute ones below ``base``, so that a :func:`mirror` is the same description with
    another ``base``.
    """

    base: Path
    modules: tuple[Module, ...]
    links: tuple[Link, ...]
    framework_links: tuple[FrameworkLink, ...]
    cache: tuple[tuple[str, int], ...]
    scale: float
    seed: int
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def webroot(self) -> Path:
        return self.base / REAL_WEBROOT.lstrip("/")

    @property
    def modules_dir(self) -> Path:
        return self.webroot / "admin" / "modules"

    @property
    def paths(self) -> dict[str, Path]:
        """The framework's installed directories (``--freepbx-path NAME=DIR``)."""
        return {name: self.base / real.lstrip("/") for name, real in REAL_PATHS.items()}

    @property
    def keyring_dir(self) -> Path:
        return self.webroot / "admin" / "libraries" / "BMO"

    def module(self, name: str) -> Module:
        return next(m for m in self.modules if m.name == name)

    @property
    def signed(self) -> tuple[str, ...]:
        """The modules with a (non-empty) ``module.sig``."""
        return tuple(m.name for m in self.modules if m.signed)

    @property
    def empty_sig(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.modules if not m.signed)

    def installed(self, module: str, entry: str) -> Path:
        """Where a listed file of ``module`` is installed (the framework's mapped; else in it)."""
        if module == "framework":
            for prefix, where in FRAMEWORK_INSTALL:
                if entry.startswith(prefix):
                    rest = entry[len(prefix) :]
                    return (self.webroot if where == "AMPWEBROOT" else self.paths[where]) / rest
        return self.modules_dir / module / entry

    def framework_mapped(self) -> dict[str, Path]:
        """Every framework entry installed outside its module directory, and where."""
        fw = self.modules_dir / "framework"
        out = {e: self.installed("framework", e) for e in self.module("framework").entries}
        return {e: p for e, p in out.items() if p != fw / e}

    def fixture_target(self, target: str) -> str:
        """A link target of the real install as written in the fixture: absolute ones below base."""
        return str(self.base) + target if target.startswith("/") else target

    def links_of(self, kind: str) -> tuple[Link, ...]:
        return tuple(link for link in self.links if link.kind == kind)

    def check_args(self) -> list[str]:
        """``pgpsig check`` arguments of the preset (without ``--trust-root``)."""
        args = ["--freepbx-webroot", str(self.webroot)]
        for name, path in self.paths.items():
            args += ["--freepbx-path", f"{name}={path}"]
        return args

    def counts(self) -> dict[str, Any]:
        """What the fixture holds, in numbers (a benchmark's description of its input)."""
        listed = sum(len(m.listed) for m in self.modules)
        return {
            "modules": len(self.modules),
            "signed_modules": len(self.signed),
            "empty_module_sig": list(self.empty_sig),
            "listed_files": listed,
            "listed_bytes": sum(s for m in self.modules for _, s in m.listed),
            "unlisted_files": sum(len(m.unlisted) for m in self.modules),
            "unlisted_dotfiles": sum(len(m.dotfiles) for m in self.modules),
            "links": {
                kind: len(self.links_of(kind))
                for kind in ("inside-file", "inside-dir", "leaving-webroot", "leaving-outside")
            },
            "framework_listed_links": len(self.framework_links),
            "cache_files": len(self.cache),
            "scale": self.scale,
            "seed": self.seed,
            **self.sources,
        }


# --- inputs ---------------------------------------------------------------------------------------


def load_anatomy(path: Path) -> dict[str, Any]:
    """The anatomy JSON file (``webroot-anatomy.json``)."""
    doc: dict[str, Any] = json.loads(path.read_text())
    return doc


def fallback_anatomy() -> dict[str, Any]:
    """A built-in miniature anatomy, of the real one's form, with every class of thing in it.

    For when the real file is absent (a clean clone: ``bench/run.py --quick`` in CI).
    """
    web = REAL_WEBROOT + "/admin/modules"
    return {
        "what": "built-in miniature of webroot-anatomy.json (made up; same form)",
        "non_module_dirs": [{"name": "_cache"}],
        "empty_module_sig": [{"module": "thirdparty", "bytes": 0}],
        "symlinks_in_admin_modules": {
            "inside_their_module_by_module": {"nodeapp": 8, "ucp": 3, "endpoint": 1},
            "leaving_their_module": [
                {"module": "endpoint", "path": "images", "target": "/tftpboot/images/",
                 "where": "outside the webroot"},
                {"module": "oracle_connector", "path": "fifo",
                 "target": "/var/spool/asterisk/oc/fifo", "where": "outside the webroot"},
                {"module": "pms", "path": "pms_data", "target": "/var/spool/asterisk/pms",
                 "where": "outside the webroot"},
                {"module": "ucp", "path": "htdocs/modules/Cdr", "target": f"{web}/cdr/ucp",
                 "where": "elsewhere in the webroot"},
                {"module": "ucp", "path": "htdocs/modules/Nodeapp",
                 "target": f"{web}/nodeapp/ucp", "where": "elsewhere in the webroot"},
            ],
        },
        "framework_listed_symlinks_installed_in_the_webroot": [
            {"entry": "amp_conf/htdocs/admin/images/spinner.gif",
             "installed_at": "admin/images/spinner.gif",
             "target": f"{web}/core/images/spinner.gif"},
            {"entry": "amp_conf/htdocs/admin/libraries/Composer/vendor/bin/doctrine-dbal",
             "installed_at": "admin/libraries/Composer/vendor/bin/doctrine-dbal",
             "target": "../doctrine/dbal/bin/doctrine-dbal"},
        ],
        "unlisted_regular_files_by_module": {
            "nodeapp": 1500, "ucp": 600, "thirdparty": 40, "_cache": 6, "cdr": 30, "core": 22,
            "framework": 23, "endpoint": 18, "oracle_connector": 5, "pms": 26, "userman": 34,
        },
    }  # fmt: skip


# --- keys -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Keys:
    """A test master key and a developer key it certified (armored, unprotected)."""

    master_fingerprint: str
    master_cert: bytes
    dev_fingerprint: str
    dev_secret: bytes
    dev_cert: bytes  # with the master's certification


def make_keys(now: datetime = CLOCK, seed: str = "anatomy") -> Keys:
    """Ed25519 master and developer keys from ``seed`` (the same seed and clock, the same keys)."""
    from cryptography.hazmat.primitives.asymmetric import ed25519  # noqa: PLC0415

    from pgpsig.keys import certify, generate_key  # noqa: PLC0415
    from pgpsig.policy import policy_named  # noqa: PLC0415

    def key(who: str) -> Any:
        private = ed25519.Ed25519PrivateKey.from_private_bytes(
            hashlib.sha256(f"{seed}:{who}".encode()).digest()
        )
        return generate_key(
            f"pgpsig anatomy {who} <{who}@anatomy.invalid>", now=now, private_keys=[private]
        )

    master, dev = key("master"), key("developer")
    certified = certify(
        dev.certificate, master.secret_key, passphrase=None, now=now, policy=policy_named("default")
    )
    return Keys(
        master_fingerprint=master.fingerprint,
        master_cert=master.certificate,
        dev_fingerprint=dev.fingerprint,
        dev_secret=dev.secret_key,
        dev_cert=certified.certificate,
    )


# --- planning -------------------------------------------------------------------------------------


def _scaled(n: int, scale: float) -> int:
    return max(1, round(n * scale))


def _reroot(base: Path, target: str) -> Path:
    return Path(str(base) + target)


def _in_modules(target: str) -> tuple[str, str] | None:
    """(module, path in it) of an absolute real target inside ``admin/modules``, else None."""
    prefix = REAL_WEBROOT + "/admin/modules/"
    if not target.startswith(prefix):
        return None
    module, _, rest = target[len(prefix) :].rstrip("/").partition("/")
    return module, rest


def _clear_of(files: list[tuple[str, int]], taken: set[str]) -> list[tuple[str, int]]:
    """``files`` with any path that is, or lies below, a path of ``taken`` moved aside."""
    out = []
    for rel, size in files:
        moved = rel
        for t in taken:
            if moved == t or moved.startswith(t + "/"):
                moved = t + "_" + moved[len(t) :]
        out.append((moved, size))
    return out


def _with_files(
    files: list[tuple[str, int]], extra: list[str], rng: random.Random, sizes: list[int]
) -> list[tuple[str, int]]:
    """``files`` with the paths of ``extra`` in place of the last ones (the count kept, while
    ``module.xml`` stays): a link target that must be a listed file."""
    out = list(files)
    for i, rel in enumerate(sorted(set(extra) - {p for p, _ in files})):
        item = (rel, rng.choice(sizes))
        if len(out) - 1 - i > 0:
            out[len(out) - 1 - i] = item
        else:
            out.append(item)
    return out


def _node_modules(rng: random.Random, n: int, sizes: list[int], dots: int) -> list[str]:
    """``n`` paths of a ``node_modules`` nest (packages, nested dependencies); ``dots`` of them
    ``.npmignore`` files."""
    out: list[str] = []
    made = 0
    roots = ["node_modules"]
    while len(out) < n:
        made += 1
        name = rng.choice(_PACKAGES)
        if rng.random() < 0.2:
            name = f"@{rng.choice(_PACKAGES)}/{name}"
        parent = rng.choice(roots)
        pkg = f"{parent}/{name}-{made}"
        if rng.random() < 0.3 and pkg.count("node_modules") < 4:
            roots.append(f"{pkg}/node_modules")
        files = ["package.json", "README.md", "LICENSE", "index.js"]
        if dots > 0:
            files.append(".npmignore")
            dots -= 1
        # A package's files cluster in its top and up to three directories (lib/, dist/...).
        where = ["", *rng.sample(_PACKAGE_DIRS, rng.randint(0, 3))]
        for k in range(int(rng.expovariate(1 / 18)) + 1):
            d = rng.choice(where)
            ext = rng.choice(("js", "js", "js", "d.ts", "map", "json", "mjs", "cjs"))
            name = f"{rng.choice(_PACKAGES).replace('.', '_')}{k}.{ext}"
            files.append(f"{d}/{name}" if d else name)
        out.extend(f"{pkg}/{f}" for f in files[: n - len(out)])
    return out


def _translations(module: str, n: int) -> list[str]:
    """``n`` paths of translations and other small things FreePBX leaves in a module."""
    out = [f"i18n/{module}.pot"]
    for lang in _LANGUAGES:
        out += [f"i18n/{lang}/LC_MESSAGES/{module}.po", f"i18n/{lang}/LC_MESSAGES/{module}.mo"]
    k = 0
    while len(out) < n:
        out.append(f"utests/{module}Test{k}.php")
        k += 1
    return out[:n]


def _unlisted(
    name: str, index: int, n: int, big: bool, signed: bool, sizes: list[int], seed: int
) -> list[tuple[str, int]]:
    """The regular files FreePBX leaves unlisted in a module: dot-files first (``.htaccess`` in
    every fourth module, ``.user.ini`` in every ninth, ``.gitattributes`` everywhere, as many as
    ``n`` allows, in that order; ``.npmignore`` in some packages of a ``node_modules`` nest), then
    the nest or translations."""
    rng = random.Random(f"{seed}:{name}:unlisted")
    paths = [] if signed else ["module.xml"]
    if index % 4 == 0:
        paths.append("htdocs/.htaccess" if name == "ucp" else ".htaccess")
    if index % 9 == 0:
        paths.append(".user.ini")
    paths.append(".gitattributes")
    paths = paths[:n]
    rest = n - len(paths)
    if big:
        paths += _node_modules(rng, rest, sizes, dots=max(1, rest // 200))
    else:
        paths += _translations(name, rest)
    return [(p, rng.choice(sizes)) for p in paths]


def _dirs_of(paths: list[str]) -> list[str]:
    """The directories (below the top) that directly hold one of ``paths``, no dot-name on the way."""
    seen: dict[str, None] = {}
    for p in paths:
        d = posixpath.dirname(p)
        if d and not any(part.startswith(".") for part in d.split("/")):
            seen.setdefault(d, None)
    return list(seen)


def _inside_links(
    name: str, count: int, listed: list[str], unlisted: list[str], taken: set[str], seed: int
) -> list[Link]:
    """``count`` links to files and directories of the same module, beside their targets: two
    file links for one directory link; the targets are regular files (not dot-files) and leaf
    directories, of the unlisted nest when there is one."""
    rng = random.Random(f"{seed}:{name}:links")
    pool = [p for p in unlisted if not posixpath.basename(p).startswith(".")] or listed
    pool = [p for p in pool if not any(part.startswith(".") for part in p.split("/"))] or listed
    dirs = _dirs_of(pool)
    above = {d[:i] for d in dirs for i, c in enumerate(d) if c == "/"}
    leaves = [d for d in dirs if d not in above]
    links = []
    for i in range(count):
        if i % 3 == 2 and leaves:
            d = rng.choice(leaves)
            parent, base = posixpath.split(d)
            path = posixpath.join(parent, f"{base}-link{i}")
            links.append(Link(name, path, base, "inside-dir"))
        else:
            t = rng.choice(pool)
            parent, base = posixpath.split(t)
            stem, dot, ext = base.partition(".")
            path = posixpath.join(parent, f"{stem}-link{i}{dot}{ext}")
            links.append(Link(name, path, base, "inside-file"))
        assert path not in taken
        taken.add(path)
    return links


def plan(
    anatomy: dict[str, Any],
    base: Path,
    *,
    scale: float = 1.0,
    shape: tuple[list[tuple[str, int]], list[int]] | None = None,
    seed: int = 14,
    sources: dict[str, str] | None = None,
) -> Webroot:
    """The fixture of ``anatomy`` at ``base`` (nothing is written; see the module docstring).

    Args:
        anatomy: The anatomy (:func:`load_anatomy` or :func:`fallback_anatomy`).
        base: The fixture's filesystem root (the webroot is ``base/var/www/html``).
        scale: Multiplies every count of files (at least one each); 1.0: the real counts.
        shape: (modules as (name, listed files), file sizes) from ``fleet.load_shape``; None:
            ``fleet.fallback_shape()``.
        seed: Seeds every choice and every file's contents.
        sources: Where the anatomy and the shape came from (kept in :meth:`Webroot.counts`).

    Raises:
        ValueError: the anatomy names a link target this builder cannot place.
    """
    shape_modules, sizes = shape if shape is not None else fleet.fallback_shape()
    listed_counts = dict(shape_modules)
    links_doc = anatomy["symlinks_in_admin_modules"]
    leaving = links_doc["leaving_their_module"]
    inside = links_doc["inside_their_module_by_module"]
    skipped = {d["name"] for d in anatomy.get("non_module_dirs", [])}
    empty = {d["module"] for d in anatomy.get("empty_module_sig", [])}
    unlisted_counts = {
        k: int(v)
        for k, v in anatomy["unlisted_regular_files_by_module"].items()
        if k not in skipped
    }
    names = set(unlisted_counts) | set(inside) | {link["module"] for link in leaving} | empty
    names |= {"framework"}
    extra: dict[str, list[str]] = {}  # module -> listed files other things need
    for link in leaving:
        where = _in_modules(link["target"])
        if link["where"] == "elsewhere in the webroot":
            if where is None or not where[1]:
                raise ValueError(f"cannot place the link target {link['target']}")
            label = posixpath.basename(link["path"])
            extra.setdefault(where[0], []).append(f"{where[1]}/{label}.class.php")
            names.add(where[0])
    fw_links = [
        FrameworkLink(d["entry"], d["installed_at"], d["target"])
        for d in anatomy.get("framework_listed_symlinks_installed_in_the_webroot", [])
    ]
    fw_extra: list[str] = []
    for fl in fw_links:
        if fl.target.startswith("/"):
            where = _in_modules(fl.target)
            if where is None or not where[1]:
                raise ValueError(f"cannot place the framework link target {fl.target}")
            extra.setdefault(where[0], []).append(where[1])
            names.add(where[0])
        else:
            fw_extra.append(
                posixpath.normpath(posixpath.join(posixpath.dirname(fl.entry), fl.target))
            )
        fw_extra.append(fl.entry)
    # Paths the links leaving a module take: no listed file may lie there.
    taken_by: dict[str, set[str]] = {}
    for link in leaving:
        taken_by.setdefault(link["module"], set()).add(link["path"])

    modules: list[Module] = []
    links: list[Link] = []
    for index, name in enumerate(sorted(names)):
        rng = random.Random(f"{seed}:{name}:extra")
        signed = name not in empty
        if name == "framework":
            count = listed_counts.get(name, SMALL_LISTED)
            listed = _framework_listed(count, scale, sizes, seed, fw_extra)
        elif signed:
            count = _scaled(listed_counts.get(name, SMALL_LISTED), scale)
            listed = list(fleet.plan_install([(name, count)], sizes, seed=seed)[0].files)
            listed = _with_files(listed, extra.get(name, []), rng, sizes)
        else:
            listed = []
        taken = taken_by.get(name, set())
        listed = _clear_of(listed, taken)
        n_unlisted = unlisted_counts.get(name, 0)
        unlisted = (
            _unlisted(
                name,
                index,
                _scaled(n_unlisted, scale),
                n_unlisted >= NODE_MODULES_FROM,
                signed,
                sizes,
                seed,
            )
            if n_unlisted or not signed
            else []
        )
        unlisted = _clear_of(unlisted, taken)
        used = {p for p, _ in listed} | {p for p, _ in unlisted} | set(taken)
        listed_here = [p for p, _ in listed if not p.startswith("amp_conf/")]
        links += _inside_links(
            name,
            int(inside.get(name, 0)),
            listed_here,
            [p for p, _ in unlisted],
            used,
            seed,
        )
        modules.append(Module(name, tuple(listed), tuple(unlisted), signed))
    for link in leaving:
        kind = (
            "leaving-webroot" if link["where"] == "elsewhere in the webroot" else "leaving-outside"
        )
        links.append(Link(link["module"], link["path"], link["target"], kind))
    rng = random.Random(f"{seed}:_cache")
    cache = []
    if "_cache" in skipped:
        n = _scaled(int(anatomy["unlisted_regular_files_by_module"].get("_cache", 1)), scale)
        pool = sorted(names)
        for i in range(n):
            version = f"16.0.{rng.randint(1, 60)}.{i}"
            cache.append((f"{rng.choice(pool)}-{version}.tgz.gpg", rng.choice(sizes) * 4))
    return Webroot(
        base=base,
        modules=tuple(modules),
        links=tuple(links),
        framework_links=tuple(fw_links),
        cache=tuple(cache),
        scale=scale,
        seed=seed,
        sources=dict(sources or {}),
    )


def _framework_listed(
    count: int, scale: float, sizes: list[int], seed: int, extra: list[str]
) -> list[tuple[str, int]]:
    """The framework's package: its own files, ``amp_conf/bin``, ``agi-bin`` and ``htdocs`` (the
    test keys among them), ``extra`` (its listed links and their targets), and the bulk of
    ``htdocs/admin`` from ``fleet`` to make up ``count`` (scaled)."""
    rng = random.Random(f"{seed}:framework:fixed")
    fixed = [
        *_FRAMEWORK_MODULE_FILES,
        *(f"amp_conf/bin/{b}" for b in _FRAMEWORK_BIN),
        *(f"amp_conf/agi-bin/{a}" for a in _FRAMEWORK_AGI),
        *(f"amp_conf/htdocs/{h}" for h in _FRAMEWORK_HTDOCS),
        *(f"amp_conf/htdocs/{k}" for k in _KEY_FILES),
    ]
    fixed += sorted(set(extra) - set(fixed))
    bulk = max(1, round(count * scale) - len(fixed))
    generated = fleet.plan_install([("framework-htdocs", bulk)], sizes, seed=seed)[0].files
    return [(p, rng.choice(sizes)) for p in fixed] + [
        (f"amp_conf/htdocs/admin/{p}", s) for p, s in generated
    ]


# --- writing --------------------------------------------------------------------------------------


def _write_files(root: Path, files: tuple[tuple[str, int], ...], seed: str) -> None:
    """Pseudo-random contents (seeded) for every (path, size) below ``root``."""
    rng = random.Random(seed)
    made: set[str] = set()
    for rel, size in files:
        parent = posixpath.dirname(rel)
        if parent not in made:
            (root / parent).mkdir(parents=True, exist_ok=True)
            made.add(parent)
        name = posixpath.basename(rel)
        if name.startswith("."):
            data = f"# {name} of {root.name}\n".encode()
        else:
            data = rng.randbytes(size)
        (root / rel).write_bytes(data)


def write(web: Webroot, keys: Keys, *, now: datetime = CLOCK) -> Webroot:
    """Build ``web`` (from :func:`plan`) at ``web.base``, which must not exist yet.

    Returns:
        ``web``.
    """
    from pgpsig.modules.sign import sign_modules  # noqa: PLC0415
    from pgpsig.openpgp.secretkey import load_signing_keys  # noqa: PLC0415

    web.base.mkdir(parents=True)
    mods = web.modules_dir
    mods.mkdir(parents=True)
    seed = web.seed
    # (1) packages
    plans = [fleet.ModulePlan(m.name, m.listed) for m in web.modules if m.signed]
    fleet.write_install(mods, plans, seed)
    fw = mods / "framework"
    keyfiles = dict(zip(_KEY_FILES, (keys.master_cert, keys.dev_cert), strict=True))
    for rel, data in keyfiles.items():
        (fw / "amp_conf/htdocs" / rel).write_bytes(data)
    for fl in web.framework_links:
        path = fw / fl.entry
        path.unlink()
        if fl.target.startswith("/"):  # a copy of what it will point to, as packaged
            where = _in_modules(fl.target)
            assert where is not None
            path.write_bytes((mods / where[0] / where[1]).read_bytes())
        else:
            path.symlink_to(fl.target)
    sign_modules(
        [mods / name for name in web.signed],
        load_signing_keys(keys.dev_secret),
        now=now,
        secret_key_data=keys.dev_secret,
    )
    for name in web.empty_sig:
        (mods / name).mkdir(exist_ok=True)
        (mods / name / "module.sig").write_bytes(b"")
    # (2) the framework installed
    fw_links = {fl.entry: fl for fl in web.framework_links}
    for entry in web.module("framework").entries:
        dest = web.installed("framework", entry)
        if dest == fw / entry:
            continue
        src = fw / entry
        if entry in fw_links and fw_links[entry].target.startswith("/"):
            src.unlink()
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.symlink_to(web.fixture_target(fw_links[entry].target))
            _prune(src.parent, fw)
            continue
        os.renames(src, dest)
        if dest.parent == web.paths["AMPBIN"] and not dest.is_symlink():
            dest.chmod(0o755)
    # (3) after install
    for m in web.modules:
        _write_files(mods / m.name, m.unlisted, f"{seed}:{m.name}:unlisted")
    for link in web.links:
        path = mods / link.module / link.path
        path.parent.mkdir(parents=True, exist_ok=True)
        if link.kind == "leaving-outside":
            _make_outside_target(_reroot(web.base, link.target.rstrip("/")))
        path.symlink_to(web.fixture_target(link.target))
    cache = mods / "_cache"
    if web.cache:
        _write_files(cache, web.cache, f"{seed}:_cache")
    return web


def _prune(d: Path, stop: Path) -> None:
    """Remove ``d`` and its parents up to ``stop`` while they are empty."""
    while d != stop and not any(d.iterdir()):
        d.rmdir()
        d = d.parent


def _make_outside_target(path: Path) -> None:
    """What a link out of the webroot points to: a FIFO for ``.../fifo``, else a directory."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.name == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()
        (path / "README").write_bytes(b"runtime data, not a module's file\n")


def build(
    anatomy: dict[str, Any],
    base: Path,
    keys: Keys,
    *,
    scale: float = 1.0,
    shape: tuple[list[tuple[str, int]], list[int]] | None = None,
    seed: int = 14,
    now: datetime = CLOCK,
    sources: dict[str, str] | None = None,
) -> Webroot:
    """:func:`plan` and :func:`write`: the fixture of ``anatomy`` at ``base``, signed with ``keys``."""
    web = plan(anatomy, base, scale=scale, shape=shape, seed=seed, sources=sources)
    return write(web, keys, now=now)


def mirror(web: Webroot, base: Path, *, without: tuple[str, ...] = ()) -> Webroot:
    """A copy of the built fixture at ``base`` (regular files hard-linked, links made anew with
    absolute targets moved along, FIFOs made anew), leaving out the modules named in ``without``.

    Nothing of the copy may be altered in place (its files are the original's): replace a file
    (unlink, then write) to tamper with it.
    """
    src_base = str(web.base)
    skip = {str(web.modules_dir / name) for name in without}

    def copy(src: str, dst: str) -> None:
        os.mkdir(dst)
        with os.scandir(src) as it:
            entries = sorted(it, key=lambda e: e.name)
        for e in entries:
            if e.path in skip:
                continue
            to = os.path.join(dst, e.name)
            st = e.stat(follow_symlinks=False)
            if stat.S_ISLNK(st.st_mode):
                target = os.readlink(e.path)
                if target == src_base or target.startswith(src_base + "/"):
                    target = str(base) + target[len(src_base) :]
                os.symlink(target, to)
            elif stat.S_ISDIR(st.st_mode):
                copy(e.path, to)
            elif stat.S_ISFIFO(st.st_mode):
                os.mkfifo(to)
            else:
                os.link(e.path, to)

    base.parent.mkdir(parents=True, exist_ok=True)
    copy(src_base, str(base))
    kept = tuple(m for m in web.modules if m.name not in without)
    return replace(
        web,
        base=base,
        modules=kept,
        links=tuple(link for link in web.links if link.module not in without),
    )
