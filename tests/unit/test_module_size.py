"""Small modules: no file under src/ is longer than 600 lines (see the developers' guide).

A file that grows past the limit is a sign that it holds more than one thing; split it
along what it holds instead of raising the limit.
"""

from __future__ import annotations

from pathlib import Path

MAX_LINES = 600
SRC = Path(__file__).resolve().parents[2] / "src"


def _line_count(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def test_the_source_tree_is_where_this_test_looks() -> None:
    assert (SRC / "reseller_core" / "__init__.py").is_file()


def test_no_source_file_is_longer_than_the_limit() -> None:
    too_long = {
        str(path.relative_to(SRC)): count
        for path in sorted(SRC.rglob("*"))
        if path.is_file()
        and "__pycache__" not in path.parts
        and ".egg-info" not in str(path)
        and (count := _line_count(path)) > MAX_LINES
    }

    assert too_long == {}, f"files over {MAX_LINES} lines: {too_long}"
