r"""The ``module.sig`` body (a PHP INI manifest): parse it, render it as sign.php does, check paths.

This module owns the *signed text* of a FreePBX signature file, after the clear-signed frame has
been removed (:mod:`pgpsig.openpgp.clearsign`): the ``[config]`` and ``[hashes]`` sections, the entry
paths and their safety, the order in which ``sign.php`` lists files, and writing a body that is
byte-for-byte what devtools ``sign.php`` (v2) writes. It is pure: text in, values out, with no
filesystem, clock or printing.

FreePBX reads the body with PHP ``parse_ini_string($text, true)`` (``INI_SCANNER_NORMAL``).
:func:`parse` accepts the part of that language that every real producer writes, gives the values
PHP would give, and *fails closed* (:class:`~pgpsig.errors.ManifestFormatError` with the 1-based
line) wherever PHP would read something else than it seems to say, or nothing at all (FreePBX
then reports "good" with no file checked). Behaviour of PHP 8.2, checked with ``php -r``:

* Lines: ``;`` comment, ``[section]`` (an optional ``; comment`` after it), ``key = value`` or
  ``key=value``, blank. Spaces and tabs around keys and values are trimmed. LF and CRLF breaks are
  both accepted; any other control character (a lone CR is a line break for PHP, a NUL ends the
  text for PHP) is an error on any line, comments included.
* A bare word without ``=`` is silently dropped by PHP, a second ``[hashes]`` section replaces
  the first (only the last one would be checked), a key outside any section goes to the top
  level, text after ``]`` is ignored, a duplicate key keeps the last value: all errors here.
* Keys and values are read as PHP reads them; a key or value PHP would read as something else
  than it seems to say (a reserved word, ``$`` expansion, an operator, a quote left open, ...) is
  an error. The rules, each checked against PHP, are :mod:`pgpsig.modules._syntax`'s.

Rules on top of INI syntax (fail closed, see ``THREATS.md``): a ``[hashes]`` section with at least
one entry (a local tag file has its one entry); only ``[config]`` and ``[hashes]`` sections; every
hash 64 hex digits (upper case is accepted and normalised to lower case: FreePBX itself would
report such a file "altered"); no duplicate path; every path safe (:func:`check_path`; absolute
paths only in a SYSTEM signature file); at most :data:`MAX_ENTRIES` entries, :data:`MAX_LINES`
lines and :data:`MAX_LINE` bytes per line (:class:`~pgpsig.errors.LimitError`); valid UTF-8. Known ``[config]`` keys are
checked: ``version`` a decimal integer, ``type`` one of ``public``/``local``/``system``, ``hash``
``sha256`` (FreePBX ignores it and always uses SHA-256: anything else would make every entry
mean something else), ``expiresafter`` a decimal Unix time when ``version`` > 1 (FreePBX ignores
it otherwise, and casts anything else to 0, "expired"). Unknown keys are kept.

The kind of file comes from its comment header: ``"module"`` (``FreePBX Module Signature File``,
written by ``sign.php`` and the mirror signer), ``"system"`` (``FreePBX SYSTEM Signature File``,
written by ``system-hook-sign.php``, whose ``[config]`` has ``xtype=system`` rather than
``type=system``), or ``"unknown-header"``.

Entry order: ``sign.php`` walks the module depth first with ``scandir()`` sorted in the C locale,
so files are ordered by path *components* compared as bytes (:func:`sort_key`): ``foo/bar``
comes before ``foo.php``. Order does not matter to verification; :func:`render` uses it so that
output is byte-identical to ``sign.php``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from pgpsig._dataclass import NamedTuple, dataclass
from pgpsig.errors import LimitError, ManifestFormatError
from pgpsig.modules._syntax import (
    LINE_CONTROL,
    RESERVED_WORDS,
    WS,
    check_path,
    check_value,
    key_problem,
    path_problem,
    php_value,
)

__all__ = [
    "KINDS",
    "KNOWN_CONFIG_KEYS",
    "MAX_ENTRIES",
    "MAX_LINE",
    "MAX_LINES",
    "TYPES",
    "Manifest",
    "ManifestEntry",
    "check_path",
    "is_local_tag",
    "parse",
    "parse_signed",
    "render",
    "sort_key",
]

MAX_ENTRIES = 200_000
"""Most ``[hashes]`` entries :func:`parse` and :func:`render` accept (largest real file: 8108)."""

MAX_LINE = 8192
"""Longest line in bytes (UTF-8, without its line break) :func:`parse` and :func:`render` accept."""

MAX_LINES = MAX_ENTRIES + 10_000
"""Most lines :func:`parse` reads (entries, header, comments, blank lines): counted before any
line is split off, so a signed text of millions of blank lines costs neither memory nor time
(64 MiB of them took 1.1 GB and 13 s)."""

KNOWN_CONFIG_KEYS = frozenset(
    {
        "version",
        "hash",
        "signedwith",
        "signedby",
        "repo",
        "type",
        "timestamp",
        "rawname",
        "expiresafter",
        "xtype",
    }
)
"""``[config]`` keys written by known producers. Others are kept in :attr:`Manifest.config`."""

KINDS = ("module", "system", "unknown-header")
"""Values of :attr:`Manifest.kind`."""

TYPES = ("public", "local", "system")
"""Values ``type`` may have (:attr:`Manifest.type` is one of these or None)."""

_HEADER = (
    ";################################################\n"
    ";#        FreePBX Module Signature File         #\n"
    ";################################################\n"
    ";# Do not alter the contents of this file!  If  #\n"
    ";# this file is tampered with, the module will  #\n"
    ";# fail validation and be marked as invalid!    #\n"
    ";################################################\n"
    "\n"
)
"""The comment header ``sign.php`` writes, and the blank line after it."""

_MODULE_TITLE = "FreePBX Module Signature File"
_SYSTEM_TITLE = "FreePBX SYSTEM Signature File"

_RESERVED_BYTES = frozenset(w.encode() for w in RESERVED_WORDS)
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
#: A ``[hashes]`` line as sign.php writes it, of a path that needs none of the checks below: ASCII
#: components of letters, digits and ``_ , + @ % - .``, none starting with ``.`` (so no ``.``,
#: ``..`` or empty component), one space each side of ``=``, a lower-case SHA-256. Such a line is
#: taken at once (after the reserved-word check); any other line goes through every rule
#: (``tests/modules/test_manifest.py`` holds both ways to the same results).
_PLAIN_ENTRY = re.compile(
    rb"((?:[A-Za-z0-9_,+@%-][A-Za-z0-9_,+@%.-]*/)*[A-Za-z0-9_,+@%-][A-Za-z0-9_,+@%.-]*)"
    rb" = ([0-9a-f]{64})"
)
_DIGITS = re.compile(r"[0-9]+")
_SECTION = re.compile(r"\[([^\]]*)\][ \t]*(?:;.*)?")


class ManifestEntry(NamedTuple):
    """One ``[hashes]`` line.

    A named tuple: a FreePBX manifest holds up to 27,000 of them, and a tuple is made in a quarter
    of the time of a frozen dataclass.

    Attributes:
        path: The path exactly as listed (after INI parsing): relative POSIX path, or absolute in
            a SYSTEM signature file.
        sha256: 64 lowercase hex digits.
        line: 1-based line number in the signed text.
    """

    path: str
    sha256: str
    line: int


@dataclass(frozen=True, slots=True)
class Manifest:
    """A parsed ``module.sig`` body.

    Attributes:
        kind: ``"module"``, ``"system"`` or ``"unknown-header"``, from the comment header.
        config: ``[config]`` keys and values in file order, values as PHP reads them (quotes
            removed, ``on`` read as ``"1"``).
        entries: ``[hashes]`` entries in file order.
        version: ``version`` as an integer, None when absent.
        type: ``type`` (``"public"``, ``"local"``, ``"system"``), ``"system"`` for a
            ``system-hook-sign.php`` file (``xtype=system``), None when absent.
        expiresafter: ``expiresafter`` as a Unix time, only when ``version`` > 1 (FreePBX ignores
            it otherwise) and the value is not empty or ``0`` (PHP ``empty()``); else None.
    """

    kind: str
    config: tuple[tuple[str, str], ...]
    entries: tuple[ManifestEntry, ...]
    version: int | None
    type: str | None
    expiresafter: int | None

    def get(self, key: str) -> str | None:
        """The value of a ``[config]`` key.

        Args:
            key: The key, case-sensitive as in PHP.

        Returns:
            Its value, or None when the key is absent.
        """
        for k, v in self.config:
            if k == key:
                return v
        return None


def sort_key(path: str) -> tuple[bytes, ...]:
    """Sort key for the order ``sign.php`` lists files in: depth first, bytewise per component.

    PHP ``scandir()`` sorts each directory in the C locale and the walk is depth first, so paths
    compare component by component as UTF-8 bytes: ``foo/bar`` sorts before ``foo.php``, and
    ``B`` before ``a``.

    Args:
        path: A ``/``-separated path.

    Returns:
        The components as bytes.
    """
    return tuple(c.encode("utf-8", "surrogatepass") for c in path.split("/"))


#: Texts at least this long are split into lines one line at a time, not into one list (a 64 MiB
#: manifest would otherwise be held twice over while it is parsed).
_LAZY_SPLIT = 4 << 20


def _split_lines(data: bytes) -> Iterable[bytes]:
    """The lines of ``data`` without their LF or CRLF (a final line break ends the last line)."""
    if len(data) >= _LAZY_SPLIT:
        return _iter_lines(data)
    lines = data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    return [line[:-1] if line.endswith(b"\r") else line for line in lines]


def _iter_lines(data: bytes) -> Iterator[bytes]:
    """:func:`_split_lines`, one line at a time."""
    start, size = 0, len(data)
    while start < size:
        end = data.find(b"\n", start)
        if end < 0:
            end = size
        line = data[start:end]
        yield line[:-1] if line.endswith(b"\r") else line
        start = end + 1


def _title(comment: str) -> str:
    return comment.strip(";# \t")


def parse(text: bytes | str) -> Manifest:
    """Parse the signed text of a ``module.sig`` file.

    Args:
        text: The signed text (dash-escaping already undone), LF or CRLF line breaks, as bytes
            (UTF-8) or str.

    Returns:
        The manifest.

    Raises:
        ManifestFormatError: The text is not a manifest FreePBX would read the way it looks, or
            it is unsafe (see the module documentation for every rule). ``line`` is set when
            the problem is on one line.
        LimitError: A line is longer than :data:`MAX_LINE` bytes, there are more than
            :data:`MAX_ENTRIES` entries or :data:`MAX_LINES` lines.
    """
    if isinstance(text, str):
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError as e:
            raise ManifestFormatError("text is not valid Unicode") from e
    else:
        data = bytes(text)
    if not data.strip(b" \t\r\n"):
        raise ManifestFormatError("empty manifest: nothing would be checked")
    if data.count(b"\n") >= MAX_LINES:
        raise LimitError(f"more than {MAX_LINES} lines")

    kinds: list[str] = []
    section: str | None = None
    seen_sections: set[str] = set()
    config: list[tuple[str, str]] = []
    config_lines: dict[str, int] = {}
    entries: list[ManifestEntry] = []
    paths: dict[str, int] = {}
    absolute: list[ManifestEntry] = []

    plain = _PLAIN_ENTRY.fullmatch
    for number, raw in enumerate(_split_lines(data), start=1):
        if len(raw) > MAX_LINE:
            raise LimitError(f"line longer than {MAX_LINE} bytes", line=number)
        entry_match = plain(raw) if section == "hashes" else None
        if entry_match is not None and entry_match[1].lower() not in _RESERVED_BYTES:
            key = entry_match[1].decode("ascii")
            if key in paths:
                raise ManifestFormatError(
                    f"duplicate path {key!r} (first on line {paths[key]})", line=number
                )
            if len(entries) >= MAX_ENTRIES:
                raise LimitError(f"more than {MAX_ENTRIES} entries", line=number)
            paths[key] = number
            digest = entry_match[2].decode("ascii")
            entries.append(ManifestEntry(key, digest, number))
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ManifestFormatError("not valid UTF-8", line=number) from e
        if LINE_CONTROL.search(line):
            raise ManifestFormatError(
                "control character (PHP reads a CR as a line break and stops at a NUL)",
                line=number,
            )
        stripped = line.strip(WS)
        if not stripped:
            continue
        if stripped.startswith(";"):
            if not seen_sections:
                title = _title(stripped)
                if title == _MODULE_TITLE:
                    kinds.append("module")
                elif title == _SYSTEM_TITLE:
                    kinds.append("system")
            continue
        if stripped.startswith("["):
            m = _SECTION.fullmatch(stripped)
            if m is None:
                raise ManifestFormatError(f"malformed section line {stripped!r}", line=number)
            name = m.group(1)
            if name not in ("config", "hashes"):
                raise ManifestFormatError(
                    f"unknown section [{name}] (only [config] and [hashes])", line=number
                )
            if name in seen_sections:
                raise ManifestFormatError(f"second [{name}] section", line=number)
            seen_sections.add(name)
            section = name
            continue
        key, eq, raw_value = stripped.partition("=")
        if not eq:
            raise ManifestFormatError(
                f"line is not a comment, section or key = value: {stripped[:80]!r}", line=number
            )
        key = key.rstrip(WS)
        problem = key_problem(key)
        if problem is not None:
            raise ManifestFormatError(problem, line=number)
        value, why = php_value(raw_value)
        if value is None:
            raise ManifestFormatError(why, line=number)
        if section is None:
            raise ManifestFormatError(f"key {key!r} outside a section", line=number)
        if section == "config":
            if key in config_lines:
                raise ManifestFormatError(
                    f"duplicate [config] key {key!r} (first on line {config_lines[key]})",
                    line=number,
                )
            config_lines[key] = number
            config.append((key, value))
            continue
        if key in paths:
            raise ManifestFormatError(
                f"duplicate path {key!r} (first on line {paths[key]})", line=number
            )
        if len(entries) >= MAX_ENTRIES:
            raise LimitError(f"more than {MAX_ENTRIES} entries", line=number)
        if not _HEX64.fullmatch(value):
            raise ManifestFormatError(
                f"hash of {key!r} is not 64 hex digits: {value[:80]!r}", line=number
            )
        problem = path_problem(key, allow_absolute=True)
        if problem is not None:
            raise ManifestFormatError(problem, line=number)
        paths[key] = number
        entry = ManifestEntry(path=key, sha256=value.lower(), line=number)
        entries.append(entry)
        if key.startswith("/"):
            absolute.append(entry)

    if len(set(kinds)) > 1:
        raise ManifestFormatError("header names both a module and a SYSTEM signature file")
    kind = kinds[0] if kinds else "unknown-header"
    if "hashes" not in seen_sections:
        raise ManifestFormatError("no [hashes] section: nothing would be checked")
    if not entries:
        raise ManifestFormatError("empty [hashes] section: nothing would be checked")
    if absolute and kind != "system":
        raise ManifestFormatError(
            f"absolute path {absolute[0].path!r} outside a SYSTEM signature file",
            line=absolute[0].line,
        )
    version, type_, expiresafter = _derived(dict(config), config_lines)
    return Manifest(
        kind=kind,
        config=tuple(config),
        entries=tuple(entries),
        version=version,
        type=type_,
        expiresafter=expiresafter,
    )


def parse_signed(chunks: list[bytes]) -> Manifest:
    """:func:`parse` of the canonical (CRLF) text a good signature covers, given in ``chunks``.

    The chunks are emptied once joined, and the CRLF text is let go once converted: a 64 MiB
    ``module.sig`` is never held four times over.

    Raises:
        ManifestFormatError, LimitError: as :func:`parse`.
    """
    text = b"".join(chunks)
    chunks.clear()
    text = text.replace(b"\r\n", b"\n")
    return parse(text)


def _derived(
    config: dict[str, str], lines: dict[str, int]
) -> tuple[int | None, str | None, int | None]:
    """Check the known ``[config]`` values and derive version, type and expiresafter."""
    version: int | None = None
    raw = config.get("version")
    if raw is not None:
        if not _DIGITS.fullmatch(raw):
            raise ManifestFormatError(
                f"version {raw!r} is not a decimal integer", line=lines["version"]
            )
        version = int(raw)
    hash_name = config.get("hash")
    if hash_name is not None and hash_name.lower() != "sha256":
        raise ManifestFormatError(
            f"hash={hash_name!r}: FreePBX always checks SHA-256", line=lines["hash"]
        )
    type_ = config.get("type")
    if type_ is not None and type_ not in TYPES:
        raise ManifestFormatError(
            f"type {type_!r} is not one of {', '.join(TYPES)}", line=lines["type"]
        )
    if type_ is None and config.get("xtype") == "system":
        type_ = "system"
    expiresafter: int | None = None
    raw = config.get("expiresafter")
    if version is not None and version > 1 and raw not in (None, "", "0"):
        assert raw is not None
        if not _DIGITS.fullmatch(raw):
            raise ManifestFormatError(
                f"expiresafter {raw!r} is not a Unix time (FreePBX would read it as expired)",
                line=lines["expiresafter"],
            )
        expiresafter = int(raw)
    return version, type_, expiresafter


def _require_str(what: str, value: object) -> str:
    """``value`` itself when it is a str (callers may not be type-checked)."""
    if not isinstance(value, str):
        raise ManifestFormatError(f"{what} must be a string, not {type(value).__name__}")
    return value


def _is_natural(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def render(
    entries: Sequence[tuple[str, str]],
    *,
    signedwith: str,
    signedby: str = "sign.php",
    repo: str = "manual",
    type_: str | None = "public",
    version: int = 2,
    hash_: str = "sha256",
    extra_config: Sequence[tuple[str, str]] = (),
) -> bytes:
    r"""Write a manifest byte-for-byte as devtools ``sign.php`` v2 writes it.

    The output is the ``sign.php`` comment header and blank line, ``[config]`` with
    ``version``, ``hash``, ``signedwith``, ``signedby``, ``repo``, ``type`` (omitted when
    ``type_`` is None, as ``sign.php`` v1 did) and then ``extra_config`` as ``key=value``
    lines, ``[hashes]`` with one ``path = hex`` line per entry sorted by :func:`sort_key`, and
    ``;# End``; UTF-8, LF line breaks, a final LF. A path starting with ``-`` needs nothing: the
    clear-signed frame dash-escapes it. ``gpg --clearsign`` does not sign the final LF of its
    input: to produce what ``sign.php`` produces, sign and frame the output without it.

    Args:
        entries: ``(path, sha256 hex)`` pairs in any order; hex may be upper case.
        signedwith: The signing key as given to ``sign.php`` (a key id or fingerprint).
        signedby: The ``signedby`` value.
        repo: The ``repo`` value (``manual``; ``local`` for a local tag file).
        type_: ``public``, ``local``, ``system``, or None for no ``type`` line.
        version: The ``version`` value (1 or 2 in practice).
        hash_: The ``hash`` value; only ``sha256`` exists.
        extra_config: More ``[config]`` pairs, written after the standard ones.

    Returns:
        The manifest text, ready for clear-signing.

    Raises:
        ManifestFormatError: No entries; a path :func:`check_path` refuses (absolute paths are
            refused: the output is a module signature file) or that PHP ``parse_ini_string``
            would not read back as itself (see :func:`parse`: ``?{}|&~![()^"$;=``, a leading
            ``#``, leading or trailing whitespace, a reserved word); a duplicate path; a hash
            that is not 64 hex digits; a config key or value PHP would not read back, a
            duplicate config key, an unknown ``type_`` or a ``hash_`` other than ``sha256``.
        LimitError: More than :data:`MAX_ENTRIES` entries or a line over :data:`MAX_LINE` bytes.
    """
    if not _is_natural(version):
        raise ManifestFormatError(f"version must be a non-negative integer, not {version!r}")
    if type_ is not None and type_ not in TYPES:
        raise ManifestFormatError(f"type {type_!r} is not one of {', '.join(TYPES)}")
    if hash_.lower() != "sha256":
        raise ManifestFormatError(f"hash {hash_!r}: FreePBX always checks SHA-256")
    config: list[tuple[str, str]] = [
        ("version", str(version)),
        ("hash", hash_),
        ("signedwith", signedwith),
        ("signedby", signedby),
        ("repo", repo),
    ]
    if type_ is not None:
        config.append(("type", type_))
    config.extend(extra_config)
    seen: set[str] = set()
    for key, value in config:
        problem = key_problem(_require_str("config key", key))
        if problem is not None:
            raise ManifestFormatError(problem)
        if key in seen:
            raise ManifestFormatError(f"duplicate config key {key!r}")
        seen.add(key)
        check_value(key, _require_str(f"{key}: value", value))

    if not entries:
        raise ManifestFormatError("no entries: FreePBX would check nothing")
    if len(entries) > MAX_ENTRIES:
        raise LimitError(f"more than {MAX_ENTRIES} entries")
    checked: dict[str, str] = {}
    for path, digest in entries:
        check_path(_require_str("path", path))
        problem = key_problem(path)
        if problem is not None:
            raise ManifestFormatError(problem)
        if path in checked:
            raise ManifestFormatError(f"duplicate path {path!r}")
        if not _HEX64.fullmatch(_require_str(f"hash of {path!r}", digest)):
            raise ManifestFormatError(f"hash of {path!r} is not 64 hex digits: {digest!r}")
        checked[path] = digest.lower()
    ordered = sorted(checked.items(), key=lambda item: sort_key(item[0]))

    parts = [_HEADER, "[config]\n"]
    parts.extend(f"{key}={value}\n" for key, value in config)
    parts.append("[hashes]\n")
    parts.extend(f"{path} = {digest}\n" for path, digest in ordered)
    parts.append(";# End\n")
    out = "".join(parts).encode("utf-8")
    _check_lines(out.split(b"\n"))

    # Safety net: what we sign must read back exactly (FreePBX and pgpsig read the same).
    back = parse(out)
    if back.config != tuple(config) or [(e.path, e.sha256) for e in back.entries] != ordered:
        raise ManifestFormatError("rendered manifest does not read back as written")
    return out


def _check_lines(lines: Iterable[bytes]) -> None:
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE:
            raise LimitError(f"line longer than {MAX_LINE} bytes", line=number)


def is_local_tag(manifest: Manifest) -> bool:
    """Whether ``manifest`` is a local tag (``type=local``, version above 1), as FreePBX reads it."""
    return manifest.type == "local" and manifest.version is not None and manifest.version > 1
