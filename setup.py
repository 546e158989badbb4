"""Only what pyproject.toml cannot say: the top-level `filters/` (presets and word lists) and
`manifests/` (snapshot and evaluation-set catalogues), whose home is the repository's top level, go
into the wheel as the package data `corpus_builder/filters/` and `corpus_builder/manifests/`. An
editable install maps the same package names onto the checkout's folders; see
contracts/shipped_data.py."""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["corpus_builder*"]),
        "corpus_builder.filters",
        "corpus_builder.manifests",
    ],
    package_dir={"corpus_builder.filters": "filters", "corpus_builder.manifests": "manifests"},
)
