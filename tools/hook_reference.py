"""Regenerate the "Hook reference" section of docs/plugins.md from core/hookspecs.py.

    .venv/bin/python tools/hook_reference.py

The test in tests/core/test_plugins.py fails when the docs and the hookspecs disagree; this
writes the section the test expects (everything after the `## Hook reference` intro paragraph).
"""
from __future__ import annotations

import inspect
import pathlib
import re

from core import hookspecs

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs" / "plugins.md"


def reference() -> str:
    blocks = []
    for name, func in inspect.getmembers(hookspecs, inspect.isfunction):
        if not hasattr(func, "peyvand_spec"):
            continue
        order = func.__code__.co_firstlineno
        signature = f"{name}({', '.join(inspect.signature(func).parameters)})"
        blocks.append((order, f"### {signature}\n\n{inspect.cleandoc(func.__doc__)}\n"))
    return "\n".join(block for _, block in sorted(blocks))


def main() -> None:
    text = DOCS.read_text()
    start = text.index("## Hook reference")
    first_hook = text.index("\n### ", start) + 1
    nxt = re.search(r"^## ", text[first_hook:], flags=re.M)
    end = first_hook + nxt.start() if nxt else len(text)
    DOCS.write_text(text[:first_hook] + reference() + ("\n" + text[end:] if nxt else ""))


if __name__ == "__main__":
    main()
