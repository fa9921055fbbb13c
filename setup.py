"""Maps the repository's folders into one import package, ``llie``; everything else is in pyproject.toml.

``framework/`` is ``llie``, ``plugins/`` is ``llie.plugins`` and ``experiments/`` ships as ``llie.experiments``
(package data: the YAML configs), so a wheel holds exactly one top-level name while the repository keeps its layout.
"""
from setuptools import find_namespace_packages, find_packages, setup

ROOTS = {"llie": "framework", "llie.plugins": "plugins", "llie.experiments": "experiments"}


#: folders of package data only (no Python), shipped as data packages
DATA_PACKAGES = {"llie.metrics.data": ["*.npz", "README.md"]}


def mapped_packages() -> list[str]:
    packages = []
    for name, folder in ROOTS.items():
        finder = find_namespace_packages if name == "llie.experiments" else find_packages
        packages += [name] + [f"{name}.{sub}" for sub in finder(folder)]
    return packages + list(DATA_PACKAGES)


setup(package_dir=ROOTS, packages=mapped_packages(),
      package_data={"llie.experiments": ["*.yaml", "**/*.yaml"], "llie": ["py.typed"], **DATA_PACKAGES})
