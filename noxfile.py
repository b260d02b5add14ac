"""The sessions CI runs: lint, typecheck, tests, contract, schemathesis; bench and mutation.

Run ``nox -s <name>`` for an isolated virtualenv, or ``nox --no-venv -s <name>`` inside an
environment that already has ``.[dev]`` installed (that is what ``.ci/run`` does).
"""

from __future__ import annotations

import json
import shutil
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
    """schemathesis against the app's own OpenAPI document with every check (see the test)."""
    _install(session)
    session.run(
        "python", "-m", "pytest", "tests/schemathesis", "-p", "no:cacheprovider", *session.posargs
    )


@nox.session
def schemathesis_explore(session: nox.Session) -> None:
    """schemathesis with a fresh random seed and 300 examples per operation (outside CI).

    The seed is printed; ``RESELLER_SCHEMATHESIS_SEED=<seed> nox -s schemathesis`` replays a
    failing run once its problem is fixed.
    """
    _install(session)
    session.env.setdefault("RESELLER_SCHEMATHESIS_SEED", "random")
    session.env.setdefault("RESELLER_SCHEMATHESIS_EXAMPLES", "300")
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


MUTATION_FLOOR = 0.85
"""The share of mutants the conformance suites must kill; below it the session fails."""
MUTATION_STAGE = Path("build/mutation")
MUTATION_KILLED = {1, 3, 36, 37, -24, 24, 152, 255}
"""mutmut exit codes that mean the tests noticed the mutant (failed, errored, timed out)."""


@nox.session
def mutation(session: nox.Session) -> None:
    """mutmut over the listing rules and the offline provider, with only their suites as tests.

    Not part of CI (slow). It measures how much of what a marketplace-rules or AI-provider
    plugin could get wrong the conformance suites notice. mutmut names modules after their
    files, so the run happens in ``build/mutation``: a copy of the tree laid out under the
    import names (``src/reseller_adapters`` ...), where the mutated copy is what the tests
    import. ``[tool.mutmut]`` in pyproject.toml names the modules and the suites. Prints
    killed/total per module and fails under 85%. ``-- --max-children N`` passes through.
    """
    if session.venv_backend != "none":
        session.install("-e", ".[dev,mutation]")
    root = Path(__file__).parent
    stage = root / MUTATION_STAGE
    if stage.exists():
        shutil.rmtree(stage)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis")
    for package, folder in IMPORT_NAMES.items():
        shutil.copytree(root / folder, stage / "src" / package, ignore=ignore)
    shutil.copytree(root / "tests", stage / "tests", ignore=ignore)
    shutil.copy2(root / "pyproject.toml", stage / "pyproject.toml")
    with session.chdir(stage):
        args = session.posargs or ["--max-children", "2"]
        session.run("python", "-m", "mutmut", "run", *args, success_codes=[0, 1])
    total_killed, total = 0, 0
    for meta in sorted((stage / "mutants" / "src").rglob("*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"].values()
        counted = [code for code in codes if code != 34]  # 34: skipped
        killed = sum(1 for code in counted if code in MUTATION_KILLED)
        module = meta.relative_to(stage / "mutants" / "src").as_posix()[: -len(".py.meta")]
        share = killed / len(counted) if counted else 1.0
        session.log(f"{module.replace('/', '.')}: {killed}/{len(counted)} killed ({share:.1%})")
        total_killed += killed
        total += len(counted)
    if total == 0:
        session.error("mutmut produced no mutants: check [tool.mutmut] in pyproject.toml")
    score = total_killed / total
    session.log(f"mutation score: {total_killed}/{total} killed ({score:.1%})")
    if score < MUTATION_FLOOR:
        session.error(f"the mutation score is under {MUTATION_FLOOR:.0%}")
