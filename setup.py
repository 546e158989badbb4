"""Only what pyproject.toml cannot say: the top-level `filters/` (presets and word lists, their home
in the repository) goes into the wheel as the package data `corpus_builder/filters/`. An editable
install maps the same package name onto the checkout's `filters/`; see quality/filters_dir.py."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["corpus_builder*"]), "corpus_builder.filters"],
    package_dir={"corpus_builder.filters": "filters"},
)
