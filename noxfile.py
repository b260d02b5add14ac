"""The sessions CI runs: lint, typecheck, tests, contract, schemathesis; and bench.

Run ``nox -s <name>`` for an isolated virtualenv, or ``nox --no-venv -s <name>`` inside an
environment that already has ``.[dev]`` installed (that is what ``.ci/run`` does).
"""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.reuse_venv = "yes"
DEV = ("-e", ".[dev]")
# Import package -> source folder, as setup.py maps them.
IMPORT_NAMES = {
    "reseller_core": "src/reseller_core",
    "reseller_adapters": "src/adapters",
    "reseller_entrypoints": "src/entrypoints",
}


def _install(session: nox.Session) -> None:
    if session.venv_backend != "none":
        session.install(*DEV)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint and format check) and the dependency rule (import-linter)."""
    _install(session)
    session.run("ruff", "check", "src", "tests", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "noxfile.py")
    session.run("lint-imports")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy, strict, over the import names the build installs.

    The folders ``src/adapters`` and ``src/entrypoints`` install as ``reseller_adapters`` and
    ``reseller_entrypoints`` (see setup.py). mypy does not run the editable install's import
    hook, so this session lays out the import names as links under ``build/import-names``
    (the ``mypy_path`` in pyproject.toml) before it runs.
    """
    _install(session)
    _link_import_names()
    session.run("mypy")


def _link_import_names() -> None:
    root = Path(__file__).parent
    names = root / "build" / "import-names"
    names.mkdir(parents=True, exist_ok=True)
    for package, folder in IMPORT_NAMES.items():
        link = names / package
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(root / folder, target_is_directory=True)


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite: unit, contract (real PostgreSQL/Redis), integration, e2e."""
    _install(session)
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def contract(session: nox.Session) -> None:
    """Only the conformance suites, on the fakes and every built-in adapter."""
    _install(session)
    session.run("python", "-m", "pytest", "tests/contract", *session.posargs)


@nox.session
def schemathesis(session: nox.Session) -> None:
    """schemathesis against the app's own OpenAPI document: no 5xx, responses match it."""
    _install(session)
    session.run(
        "python", "-m", "pytest", "tests/schemathesis", "-p", "no:cacheprovider", *session.posargs
    )


@nox.session
def bench(session: nox.Session) -> None:
    """The benchmark suite (not part of the tests): prints the figures.

    Needs PostgreSQL and Redis like the tests; ``nox -s bench -- --quick`` is a short run,
    ``-- --help`` lists the options (see docs/performance.md).
    """
    _install(session)
    session.run("python", "-m", "benchmarks", *session.posargs)
