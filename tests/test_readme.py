"""Every code block of the README runs (SPEC §10: examples users copy must work).

Python blocks run in order, in one namespace (later blocks use the steps of earlier ones),
in a fresh framework home and a temporary working directory. A line ``EXPR  # LITERAL``
(a comment that is a Python literal) is checked: ``EXPR`` must equal it. A ``yaml`` block
preceded by ``<!-- file: NAME -->`` is written to NAME first. Shell, text and other
non-Python blocks must say what they are (no bare fence), and are not run.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
NOT_PYTHON = {"shell", "text", "yaml", "console", "ini", "toml"}
_FENCE = re.compile(r"^```(?P<lang>[\w-]*)\s*$")
_FILE = re.compile(r"^<!--\s*file:\s*(?P<name>[\w./-]+)\s*-->\s*$")


def blocks(text: str) -> list[dict]:
    """Fenced blocks: language, source, first line number, and the file marker before it."""
    found, lines, index = [], text.splitlines(), 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if match is None:
            index += 1
            continue
        start = index
        marker = _FILE.match(lines[start - 1]) if start else None
        index += 1
        body = []
        while index < len(lines) and not lines[index].startswith("```"):
            body.append(lines[index])
            index += 1
        found.append({"lang": match.group("lang"), "source": "\n".join(body) + "\n", "line": start + 1,
                      "file": marker.group("name") if marker else None})
        index += 1
    return found


def checked(source: str) -> str:
    """``EXPR  # LITERAL`` lines become assertions; everything else is left as written."""
    out = []
    for line in source.splitlines():
        code, hash_, comment = line.partition("  #")
        if hash_ and code.strip() and not code.startswith((" ", "\t")):
            try:
                ast.parse(code.strip(), mode="eval")
                expected = ast.literal_eval(comment.strip())
            except (SyntaxError, ValueError):
                out.append(line)
                continue
            out.append(f"assert ({code.strip()}) == {expected!r}, {code.strip()!r}")
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def test_every_block_says_what_it_is():
    unlabelled = [b["line"] for b in blocks(README.read_text()) if b["lang"] not in NOT_PYTHON | {"python"}]
    assert unlabelled == [], f"README blocks without a known language at lines {unlabelled}"


def test_readme_python_blocks_run_in_order(home, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__readme__"}
    ran = 0
    for block in blocks(README.read_text()):
        if block["file"]:
            (tmp_path / block["file"]).write_text(block["source"])
        if block["lang"] != "python":
            continue
        code = compile(checked(block["source"]), f"README.md:{block['line']}", "exec")
        try:
            exec(code, namespace)  # noqa: S102 - the README's own examples
        except Exception as exc:  # noqa: BLE001 - say which block failed
            pytest.fail(f"README block at line {block['line']} failed: {type(exc).__name__}: {exc}")
        ran += 1
    assert ran >= 6


def test_checked_turns_literal_comments_into_assertions():
    assert checked('run.status   # "completed"\nx = 1  # a comment\n') == \
        "assert (run.status) == 'completed', 'run.status'\nx = 1  # a comment\n"
