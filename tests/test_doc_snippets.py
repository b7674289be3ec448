"""The Python snippets of the Markdown pages (docs/ and the README) run as written.

Each page's ```` ```python ```` blocks run in order in one namespace, as a
reader would paste them, in a temporary directory. A block that cannot run
here (a fragment of a larger program, a GPU or a cluster, minutes of
training) is preceded by the line ``<!-- not run by the tests: <reason> -->``,
which neither GitHub nor the documentation shows; every other block must run.
"""

import re
from pathlib import Path

import matplotlib
import pytest

ROOT = Path(__file__).parents[1]
PAGES = [page for page in sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
         if "_build" not in page.parts and "_intersphinx" not in page.parts]
_BLOCK = re.compile(r"^(?:<!-- not run by the tests: (.*?) -->\n)?```python\n(.*?)^```$",
                    flags=re.MULTILINE | re.DOTALL)


def python_blocks(text):
    """[(reason not to run it or None, code)] of the page's python blocks."""
    return [(reason or None, code) for reason, code in _BLOCK.findall(text)]


def test_the_extraction_finds_blocks_and_reasons():
    text = ("x\n```python\na = 1\n```\n```bash\nls\n```\n"
            "<!-- not run by the tests: needs a GPU -->\n```python\nb\n```\n")
    assert python_blocks(text) == [(None, "a = 1\n"), ("needs a GPU", "b\n")]


@pytest.mark.parametrize("page", [page for page in PAGES
                                  if any(reason is None for reason, _ in
                                         python_blocks(page.read_text()))],
                         ids=lambda page: str(page.relative_to(ROOT)))
def test_markdown_snippets_run(page, tmp_path, monkeypatch):
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__main__"}
    for number, (reason, code) in enumerate(python_blocks(page.read_text()), start=1):
        if reason is None:
            exec(compile(code, f"{page.name}, python block {number}", "exec"), namespace)
