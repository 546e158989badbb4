"""Where the data files shipped with the project live: `filters/` (presets, word lists) and
`manifests/` (Common Crawl snapshots, the evaluation-set catalogue) at the top of the repository are
their home; a wheel carries the same files as the package data `corpus_builder/filters/` and
`corpus_builder/manifests/` (setup.py maps one onto the other at build time, so there is one copy in
the repository and no symlink)."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]


def shipped_dir(name: str) -> Path:
    """`corpus_builder/<name>/` of an installed wheel, else the checkout's top-level `<name>/` (a
    source checkout, or an editable install, which imports the package from the checkout)."""
    installed = _PACKAGE / name
    return installed if installed.is_dir() else _PACKAGE.parent / name


SHIPPED_FILTERS_DIR = shipped_dir("filters")
SHIPPED_MANIFESTS_DIR = shipped_dir("manifests")
