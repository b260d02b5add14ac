"""The CLI's progress output: a redrawn bar on a terminal, plain lines elsewhere."""

from __future__ import annotations

import io

from reseller_entrypoints.transfer_commands import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_gets_a_redrawn_bar() -> None:
    out = Terminal()
    progress = Progress(out)
    progress.step("export 1: queued")
    progress.bar("downloading", 5, 10)
    progress.finish("wrote 10 bytes")
    text = out.getvalue()
    assert "\r\x1b[Kdownloading [" + "#" * 15 + "." * 15 + "] 5/10" in text
    assert text.endswith("wrote 10 bytes\n")


def test_pipe_gets_one_plain_line_per_step() -> None:
    out = io.StringIO()
    progress = Progress(out)
    for text in ("export 1: queued", "export 1: queued", "export 1: running"):
        progress.step(text)
    progress.bar("downloading", 5, 10)
    progress.bar("downloading", 10, 10)
    progress.finish("wrote 10 bytes")
    assert out.getvalue().splitlines() == [
        "export 1: queued",
        "export 1: running",
        "downloading: 10 of 10 done",
        "wrote 10 bytes",
    ]
