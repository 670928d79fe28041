"""Every Python block of migration_guide.md runs, in order within its section."""

import re
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parent.parent / "migration_guide.md"
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def _sections():
    text = GUIDE.read_text()
    preamble_end = text.index("\n## ")
    preamble = BLOCK.findall(text[:preamble_end])
    sections = re.split(r"\n(?=## )", text[preamble_end:])
    return preamble, [(s.splitlines()[1] if s.startswith("\n") else s.splitlines()[0], BLOCK.findall(s))
                      for s in sections if BLOCK.findall(s)]


PREAMBLE, SECTIONS = _sections()


def test_the_guide_has_every_section():
    titles = " ".join(t for t, _ in SECTIONS)
    for topic in ("Imports", "Parameters", "Wiring", "Running", "configure", "after", "Outputs",
                  "entrypoint", "Reading runs back"):
        assert topic in titles


@pytest.mark.parametrize("title, blocks", SECTIONS, ids=[t for t, _ in SECTIONS])
def test_section_blocks_run(title, blocks, home):
    for block in blocks:
        namespace: dict = {"__name__": "guide"}
        for pre in PREAMBLE:
            exec(compile(pre, "<guide preamble>", "exec"), namespace)
        exec(compile(block, f"<guide {title}>", "exec"), namespace)
