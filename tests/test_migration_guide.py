"""Every Python block of migration_guide.md runs, in order within its section, and the codemod
turns each "Before" block into the "After" block that follows it.

Blocks are tagged on their opening fence, after ``python`` (renderers show only the
language): ``before`` / ``after`` pair a legacy block with its migrated form, and
``compile-only`` marks a block that uses a legacy spelling or a feature the framework
does not run yet - it is compiled and migrated, and must still fail to run (like a
strict xfail: once it runs, the tag has to go). A ```` ```yaml NAME ```` block is
written to the file NAME in the working directory before the section runs.
"""

import re
from pathlib import Path

import pytest

from framework.migrate import migrate_source

GUIDE = Path(__file__).resolve().parent.parent / "migration_guide.md"
BLOCK = re.compile(r"```python([^\n]*)\n(.*?)```", re.S)
FILE = re.compile(r"```yaml (\S+)\n(.*?)```", re.S)
FIRST_CHECKED_SECTION = 10  # sections from here on pair every Before block with its After block


def _sections():
    text = GUIDE.read_text()
    preamble_end = text.index("\n## ")
    preamble = [code for _, code in BLOCK.findall(text[:preamble_end])]
    sections = []
    for section in re.split(r"\n(?=## )", text[preamble_end:]):
        blocks = [(set(tags.split()), code) for tags, code in BLOCK.findall(section)]
        if blocks:
            title = section.strip().splitlines()[0]
            sections.append((title, blocks, FILE.findall(section)))
    return preamble, sections


PREAMBLE, SECTIONS = _sections()


def _number(title: str) -> int:
    return int(re.match(r"## (\d+)\.", title).group(1))


def _pairs(blocks):
    """(before, after) code for each ``before`` block and the ``after`` block that follows it."""
    pairs = []
    for i, (tags, code) in enumerate(blocks):
        if "before" in tags:
            after = next((c for t, c in blocks[i + 1:] if "after" in t), None)
            pairs.append((code, after))
    return pairs


def test_the_guide_has_every_section():
    titles = " ".join(t for t, _, _ in SECTIONS)
    for topic in ("Imports", "Parameters", "Wiring", "Running", "configure", "after", "Outputs",
                  "entrypoint", "Reading runs back", "slot names", "named like the decorator", "unlisted",
                  "BaseStepConfig", "StepContext", "post_execution", "Hooks", "handle_input",
                  "connect(self, **kwargs)"):
        assert topic in titles, topic


def test_every_migration_section_pairs_before_and_after():
    checked = [(t, b) for t, b, _ in SECTIONS if _number(t) >= FIRST_CHECKED_SECTION and _pairs(b)]
    assert len(checked) >= 8
    for title, blocks in checked:
        assert all(after is not None for _, after in _pairs(blocks)), title


@pytest.mark.parametrize("title, blocks, files", SECTIONS, ids=[t for t, _, _ in SECTIONS])
def test_section_blocks_run(title, blocks, files, home, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name, content in files:
        (tmp_path / name).write_text(content)
    for index, (tags, block) in enumerate(blocks):
        # each block is an alternative (legacy code, or its migrated form): its own fresh store
        monkeypatch.setenv("FRAMEWORK_HOME", str(home / f"block-{index}"))
        code = compile(block, f"<guide {title}>", "exec")
        namespace: dict = {"__name__": "guide"}
        for pre in PREAMBLE:
            exec(compile(pre, "<guide preamble>", "exec"), namespace)
        if "compile-only" not in tags:
            exec(code, namespace)
            continue
        try:
            exec(code, namespace)
        except Exception:  # noqa: BLE001 - not supported yet, as the tag says
            continue
        pytest.fail(f"a `compile-only` block of {title!r} runs now: drop the tag so the test keeps running it")
    if _number(title) >= FIRST_CHECKED_SECTION:
        for before, after in _pairs(blocks):
            result = migrate_source(before)
            assert result.todos == [], result.todos
            assert result.code == after
