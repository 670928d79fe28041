"""Run names: templates with ``{date}``/``{time}`` placeholders, rendered and validated.

A run name is a key in the store (and may appear in URLs), never a path, so it
is validated before anything is written.
"""

from __future__ import annotations

import datetime as _dt
import re
import string
import unicodedata

DEFAULT_TEMPLATE = "{pipeline}-{date}-{time}"
PLACEHOLDERS = ("date", "time")
MAX_LENGTH = 200


def _normalize(template: str) -> str:
    for name in PLACEHOLDERS:
        template = template.replace("{{" + name + "}}", "{" + name + "}")
    return template


def validate_template(template: str) -> str:
    """Check a ``run_name`` template; returns it with ``{{date}}`` written as ``{date}``."""
    if not isinstance(template, str):
        raise ValueError(f"run_name must be a string, got {type(template).__name__}.")
    normalized = _normalize(template)
    double = re.search(r"\{\{\s*(\w*)\s*\}\}", normalized)
    if double:
        raise ValueError(
            f"Invalid run name template {template!r}: unknown placeholder {{{{{double.group(1)}}}}}; "
            "the placeholders are {date} and {time} (also written {{date}} and {{time}})."
        )
    try:
        fields = [f for _, f, spec, conv in string.Formatter().parse(normalized) if f is not None]
    except ValueError as exc:
        raise ValueError(f"Invalid run name template {template!r}: {exc}. Use {{date}} and {{time}} only.") from None
    unknown = [f for f in fields if f not in PLACEHOLDERS]
    if unknown:
        raise ValueError(
            f"Invalid run name template {template!r}: unknown placeholder {{{unknown[0]}}}; "
            "the placeholders are {date} and {time} (also written {{date}} and {{time}})."
        )
    return normalized


#: Scripts whose letters pass for one another ('а' Cyrillic, 'a' Latin; 'ο' Greek, 'o' Latin):
#: a name mixing two of them is refused, as it would look like a name it is not.
CONFUSABLE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE", "COPTIC")


def normalize_name(name: str) -> str:
    """The stored form of a name: Unicode NFC, so 'é' typed as one character or as 'e' plus
    an accent is one name (a lookup normalises the same way)."""
    return unicodedata.normalize("NFC", name)


def validate_name(name: str, *, what: str = "run name") -> str:
    """A name is a key: non-empty, at most 200 characters, no path separators (nor look-alikes
    that Unicode NFKC folds into one), not '.'/'..', no control or invisible characters, no
    spaces at either end, and no letters of two scripts that pass for one another. Returns
    the name in its stored form (NFC, see `normalize_name`).

    Used for run, pipeline and step names, invocation ids and output names. None of them
    ever becomes a file name (files are named by generated ids); this keeps them safe to
    show and to use in URLs and exports, and keeps two names that look the same from being
    two different keys.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"The {what} must be a non-empty string.")
    if len(name) > MAX_LENGTH:
        raise ValueError(f"The {what} {name[:40]!r}… is longer than {MAX_LENGTH} characters; shorten it.")
    name = normalize_name(name)
    folded = unicodedata.normalize("NFKC", name)  # '／' (fullwidth) folds to '/', '．．' to '..'
    if "/" in folded or "\\" in folded or folded.strip() in (".", ".."):
        raise ValueError(f"The {what} {name!r} contains a path separator or is '.'/'..'; names are keys, not paths.")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") for ch in name):
        raise ValueError(f"The {what} {name!r} contains control or invisible characters; remove them.")
    if name != name.strip() or name[0].isspace() or name[-1].isspace():
        raise ValueError(f"The {what} {name!r} starts or ends with a space (maybe a no-break space); "
                         "remove it, or two names that look the same would be different runs.")
    _refuse_confusables(name, what)
    return name


def _refuse_confusables(name: str, what: str) -> None:
    scripts: dict[str, str] = {}
    for ch in name:
        if ch.isalpha():
            script = unicodedata.name(ch, "").split(" ", 1)[0]
            if script in CONFUSABLE_SCRIPTS:
                scripts.setdefault(script, ch)
    if len(scripts) > 1:
        shown = ", ".join(f"{ch!r} ({unicodedata.name(ch)})" for ch in scripts.values())
        raise ValueError(f"The {what} {name!r} mixes letters of scripts that look alike: {shown}; write it in "
                         "one script, or it would pass for another name.")


def uses_time(template: str | None) -> bool:
    """True if names rendered from ``template`` (None: the default) contain the ``{time}``
    placeholder, so rendering again a moment later gives another name."""
    if template is None:
        return True
    return "{time}" in _normalize(template)


def render(template: str | None, *, pipeline: str, now: _dt.datetime | None = None) -> str:
    """Render a run name (default ``{pipeline}-{date}-{time}``, UTC) and validate it."""
    now = now or _dt.datetime.now(_dt.timezone.utc)
    values = {"date": now.strftime("%Y_%m_%d"), "time": now.strftime("%H_%M_%S_%f")}
    if template is None:
        name = DEFAULT_TEMPLATE.format(pipeline=pipeline, **values)
    else:
        name = validate_template(template).format(**values)
    return validate_name(name)
