"""The embedding example in docs/ runs as documented."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_embedding_example_runs(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "examples" / "embed.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] in ("status: ready, run: completed", "status: review, run: completed")
    assert any(line.strip().startswith("ebay:") for line in lines)


def test_the_embedding_guide_runs_as_written(tmp_path: Path) -> None:
    """The first Python block of docs/embedding.md, saved to a file and run unchanged."""
    text = (ROOT / "docs" / "embedding.md").read_text()
    block = text.split("```python\n", 1)[1].split("```", 1)[0]
    script = tmp_path / "guide.py"
    script.write_text(block)
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] in ("ready completed", "review completed")
    assert [line.split()[0] for line in lines[1:]] == ["depop", "ebay", "poshmark"]
