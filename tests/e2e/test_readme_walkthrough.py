"""The README's walk-through, pasted into bash against a real ``reseller serve``.

The commands are read from README.md as written; only the address (``localhost:8000``) and
the path of the ``reseller`` script (``.venv/bin/reseller``) are pointed at this test's
server and environment.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.server import ServerProcess
from tests.images import product_photo

README = Path(__file__).resolve().parents[2] / "README.md"
HEADING = "### Walk through the whole flow"


def walkthrough_commands() -> str:
    text = README.read_text()
    assert HEADING in text, f"README.md lost its {HEADING!r} section"
    section = text.split(HEADING, 1)[1]
    match = re.search(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    assert match is not None, "no sh block in the walk-through"
    return match.group(1)


@pytest.mark.skipif(shutil.which("curl") is None, reason="the walk-through uses curl")
def test_the_readme_walkthrough_works_as_pasted(tmp_path: Path) -> None:
    (tmp_path / "photo.jpg").write_bytes(product_photo("JPEG", item=(40, 90, 200)))
    server = ServerProcess(tmp_path / "var")
    server.start()
    try:
        script = walkthrough_commands()
        script = script.replace("localhost:8000", f"127.0.0.1:{server.port}")
        script = script.replace(".venv/bin/reseller", str(Path(sys.executable).parent / "reseller"))
        clean = {k: v for k, v in os.environ.items() if not k.startswith("RESELLER_")}
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=tmp_path,
            env={**clean, "RESELLER_DATA_DIR": str(tmp_path / "var")},
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    finally:
        server.stop()
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}\n{server.tail()}"
    lines = result.stdout.splitlines()
    assert lines[0].startswith("confirmed seller@example.com at ")
    assert lines[-4] in ("ready", "review")
    listings = [line.split(" | ") for line in lines[-3:]]
    assert [listing[0] for listing in listings] == ["depop", "ebay", "poshmark"]
    for _marketplace, price, title in listings:
        assert re.fullmatch(r"\d+\.\d\d", price) and title
