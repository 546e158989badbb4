"""Where the shipped presets and word lists live: `filters/` at the top of the repository is their
home; a wheel carries the same files as the package data `corpus_builder/filters/` (setup.py maps
one onto the other at build time, so there is one copy in the repository and no symlink)."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]


def shipped_filters_dir() -> Path:
    """`corpus_builder/filters/` of an installed wheel, else the checkout's top-level `filters/`
    (a source checkout, or an editable install, which imports the package from the checkout)."""
    installed = _PACKAGE / "filters"
    return installed if installed.is_dir() else _PACKAGE.parent / "filters"


SHIPPED_FILTERS_DIR = shipped_filters_dir()
