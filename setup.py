"""Maps the source folders to their import packages; everything else is in pyproject.toml.

The folders keep the layout's names (``src/adapters``, ``src/entrypoints``) but install as
``reseller_adapters`` and ``reseller_entrypoints``: plain ``adapters`` and ``entrypoints``
are the import names of two other PyPI distributions, which embedding applications often
have installed. setuptools' declarative configuration cannot rename a folder's subpackages,
so the package list is computed here from the folders themselves.
"""

from __future__ import annotations

from setuptools import find_packages, setup

SOURCE_FOLDERS = {
    "reseller_core": "src/reseller_core",
    "reseller_adapters": "src/adapters",
    "reseller_entrypoints": "src/entrypoints",
}


def _packages() -> list[str]:
    names: list[str] = []
    for package, folder in SOURCE_FOLDERS.items():
        names.append(package)
        names.extend(f"{package}.{sub}" for sub in find_packages(folder))
    return names


setup(packages=_packages(), package_dir=dict(SOURCE_FOLDERS))
