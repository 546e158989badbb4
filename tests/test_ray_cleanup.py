"""A private local Ray leaves no temp dir behind (needs a loopback-only namespace, as tests/test_ray.py)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_ray import _only_loopback  # noqa: F401  (importing applies test_ray's namespace skip)


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    # Ray's AF_UNIX socket paths must stay under 107 bytes: pytest's tmp_path is too deep
    path = Path(tempfile.mkdtemp(prefix="cb-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.slow
def test_private_ray_temp_dir_is_removed(short_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ray

    from corpus_builder.executors.ray import RaySettings, ray_session

    monkeypatch.setattr(tempfile, "tempdir", str(short_tmp))  # where mkdtemp puts the private Ray's dir
    with ray_session(RaySettings(), workers=1):
        (made,) = list(short_tmp.glob("corpus-build-ray-*"))
        assert ray.get(ray.put(41)) + 1 == 42 and any(made.iterdir())
    assert not made.exists()
