"""What one ``key = value`` line of a manifest may hold: how PHP reads it, which paths are safe.

FreePBX reads the ``module.sig`` body with PHP ``parse_ini_string($text, true)``
(``INI_SCANNER_NORMAL``). This module owns what PHP makes of one key and one value, as checked with
PHP 8.2 (``php -r``), and which entry paths are safe (:func:`check_path`), for
:mod:`pgpsig.modules.manifest`, which reads and writes whole manifests (sections, entries, config)
with these rules. Pure: text in, verdicts out.

* Keys: PHP rejects the whole file on a key with any of ``!"$&()^{|}~[`` or equal to a reserved
  word (``null yes no true false on off none``, any case); ``key[] = v`` and ``key[x] = v`` make
  arrays. All of these are errors, as are ``?`` (rejected by older PHP), ``;`` (PHP cuts the key
  there) and a leading ``#`` (a comment for PHP before 7.0). A tab inside a key makes PHP drop
  everything before it (``a<TAB>b`` reads as ``b``): control characters are errors.
* Values: ``"..."`` and ``'...'`` lose their quotes; ``v ; comment`` reads as ``v`` (matched).
  An unquoted ``true``/``on``/``yes`` reads as ``"1"``, ``false``/``off``/``no``/``none``/``null``
  as ``""`` (matched); such a word next to other words makes PHP reject the file (error).
  Errors where PHP would transform the value: ``${NAME}`` expansion (``$`` is refused outside
  single quotes), expression operators ``|&~!^()``, backslash escapes inside double quotes,
  quoted and unquoted pieces glued together (``"a" b`` reads ``ab``), a quote left open (PHP
  continues on the next lines), and ``=`` inside an unquoted value.
* Not matched: PHP replaces an unquoted word that names a defined PHP constant (``E_ALL`` reads
  ``32767``). The set of constants depends on the running PHP, so it cannot be reproduced; it only
  concerns informational values (the values that matter, ``version``, ``type``,
  ``expiresafter``, ``hash`` and the 64-hex hashes, cannot be constant names), and
  :func:`pgpsig.modules.manifest.render` refuses values that look like constant names
  (:func:`check_value`).
"""

from __future__ import annotations

import re

from pgpsig.errors import ManifestFormatError

__all__ = [
    "ANY_CONTROL",
    "LINE_CONTROL",
    "RESERVED_WORDS",
    "WS",
    "check_path",
    "check_value",
    "key_problem",
    "path_problem",
    "php_value",
]

#: What PHP trims around keys and values.
WS = " \t"
_TRUE_WORDS = frozenset({"true", "on", "yes"})
_FALSE_WORDS = frozenset({"false", "off", "no", "none", "null"})
#: Words PHP gives a meaning of its own, in any case: refused as keys, read as "1" or "".
RESERVED_WORDS = _TRUE_WORDS | _FALSE_WORDS
_KEY_FORBIDDEN = frozenset('?{}|&~!()^"$;=')
_VALUE_FORBIDDEN = frozenset("\"'$=|&~!^(){}")
#: A control character other than a tab (anywhere in a line, comments included: an error).
LINE_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
#: Any control character, the tab included (in a key or a path: an error).
ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WORDS = re.compile(r"[ \t]+")
_CONSTANT_LIKE = re.compile(r"[A-Z_][A-Z0-9_]*")
_CORE_CONSTANTS_WITHOUT_UNDERSCORE = frozenset({"INF", "NAN", "STDIN", "STDOUT", "STDERR"})


def key_problem(key: str) -> str | None:
    """Why PHP would not read ``key`` (already trimmed) back as itself, or None."""
    if not key:
        return "empty key"
    if key[0] in WS or key[-1] in WS:
        return f"key {key!r} starts or ends with whitespace (PHP trims it)"
    if ANY_CONTROL.search(key):
        return f"key {key!r} contains a control character"
    bad = sorted(_KEY_FORBIDDEN.intersection(key))
    if bad:
        return f"key {key!r} contains {''.join(bad)!r}, which PHP rejects or reads differently"
    if "[" in key:
        return f"key {key!r} contains '[' (PHP reads key[] and key[x] as arrays, else rejects it)"
    if key.startswith("#"):
        return f"key {key!r} starts with '#' (a comment for PHP before 7.0)"
    if key.lower() in RESERVED_WORDS:
        return f"key {key!r} is a reserved word for PHP (the whole file would be rejected)"
    return None


def php_value(raw: str) -> tuple[str | None, str]:
    """Read an INI value as PHP does: (value, "") or (None, why it is refused)."""
    v = raw.strip(WS)
    if not v:
        return "", ""
    if v[0] in "\"'":
        quote = v[0]
        end = v.find(quote, 1)
        if end < 0:
            return None, "unterminated quoted value (PHP would read on into the next lines)"
        content = v[1:end]
        rest = v[end + 1 :].lstrip(WS)
        if rest and not rest.startswith(";"):
            return None, "text after a quoted value (PHP would glue the pieces together)"
        if quote == '"' and ("\\" in content or "$" in content):
            return None, "backslash or '$' in a double-quoted value (PHP escapes and expands)"
        return content, ""
    semicolon = v.find(";")
    if semicolon >= 0:
        v = v[:semicolon].rstrip(WS)
    bad = sorted(_VALUE_FORBIDDEN.intersection(v))
    if bad:
        return None, f"value {v!r} contains {''.join(bad)!r}, which PHP transforms or rejects"
    words = _WORDS.split(v) if v else []
    reserved = [w for w in words if w.lower() in RESERVED_WORDS]
    if reserved:
        if len(words) > 1:
            return None, f"value {v!r} has the reserved word {reserved[0]!r} among other words"
        return ("1" if v.lower() in _TRUE_WORDS else ""), ""
    return v, ""


def check_value(key: str, value: str) -> None:
    """Refuse a ``[config]`` value PHP would not read back as itself.

    Raises:
        ManifestFormatError: PHP would read ``value`` as something else, or reject it.
    """
    if LINE_CONTROL.search(value) or "\t" in value:
        raise ManifestFormatError(f"{key}: value contains a control character")
    got, why = php_value(value)
    if got != value:
        raise ManifestFormatError(
            f"{key}: PHP would not read the value {value!r} back as itself"
            + (f" ({why})" if why else f" (it reads {got!r})")
        )
    for word in _WORDS.split(value):
        if _CONSTANT_LIKE.fullmatch(word) and (
            "_" in word or word in _CORE_CONSTANTS_WITHOUT_UNDERSCORE
        ):
            raise ManifestFormatError(
                f"{key}: {word!r} looks like a PHP constant name, which PHP would replace"
            )


def path_problem(path: str, *, allow_absolute: bool) -> str | None:
    """Why ``path`` is unsafe, or None when it is safe."""
    if not path:
        return "empty path"
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return f"path {path!r} is not valid Unicode"
    if ANY_CONTROL.search(path):
        return f"path {path!r} contains a control character"
    if "\\" in path:
        return f"path {path!r} contains a backslash"
    rest = path
    if path.startswith("/"):
        if not allow_absolute:
            return f"absolute path {path!r}"
        rest = path[1:]
    for component in rest.split("/"):
        if not component:
            return f"path {path!r} has an empty component"
        if component in (".", ".."):
            return f"path {path!r} has a {component!r} component"
    return None


def check_path(path: str, *, allow_absolute: bool = False) -> None:
    """Check that a manifest path cannot leave the module root or be read two ways.

    Args:
        path: The path as listed.
        allow_absolute: Accept a leading ``/`` (only SYSTEM signature files list absolute paths).

    Raises:
        ManifestFormatError: The path is empty, absolute (unless allowed), has an empty, ``.``
            or ``..`` component (``a//b``, a trailing ``/``, a leading ``./``), or contains a
            backslash, a control character (below 0x20, or 0x7F) or a lone surrogate.
    """
    problem = path_problem(path, allow_absolute=allow_absolute)
    if problem is not None:
        raise ManifestFormatError(problem)
