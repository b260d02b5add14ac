"""Our import names collide with no other distribution's.

The source folders ``src/adapters`` and ``src/entrypoints`` install as ``reseller_adapters``
and ``reseller_entrypoints``. The PyPI distribution ``entrypoints`` (a long-standing
dependency of Python tooling) is installed beside us by the dev extra; both must work in one
interpreter, which they could not while we shipped a top-level ``entrypoints`` package.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import entrypoints

import reseller_adapters
import reseller_core
import reseller_entrypoints
from reseller_entrypoints.cli import main as reseller_main

SOURCE = Path(__file__).resolve().parents[2] / "src"


def test_the_pypi_entrypoints_distribution_works_beside_us() -> None:
    # Its own API, answered from its own module: our CLI's console script, found by it.
    assert entrypoints.__file__ is not None
    assert not Path(entrypoints.__file__).resolve().is_relative_to(SOURCE)
    script = entrypoints.get_single("console_scripts", "reseller")
    assert script.module_name == "reseller_entrypoints.cli"
    assert script.load() is reseller_main
    groups = entrypoints.get_group_all("console_scripts")
    assert any(point.name == "reseller" for point in groups)


def test_our_packages_install_under_names_of_our_own() -> None:
    for package, folder in (
        (reseller_core, "reseller_core"),
        (reseller_adapters, "adapters"),
        (reseller_entrypoints, "entrypoints"),
    ):
        assert package.__file__ is not None
        assert Path(package.__file__).resolve().parent == SOURCE / folder


def test_no_module_of_ours_answers_to_the_plain_names() -> None:
    spec = importlib.util.find_spec("entrypoints")
    assert spec is not None and spec.origin is not None
    assert not Path(spec.origin).resolve().is_relative_to(SOURCE)
    plain_adapters = importlib.util.find_spec("adapters")
    if plain_adapters is not None:  # another distribution's, never ours
        origin = plain_adapters.origin
        assert origin is None or not Path(origin).resolve().is_relative_to(SOURCE)
