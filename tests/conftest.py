"""Shared fixtures: where the real data is, and the CI rule for optional clients.

Tests that need something outside the project (the real boundary data in
``../shared/data/real``, Chromium, QGIS) skip when it is missing on a
developer's machine, and fail instead when ``CI=true``: CI installs them, so
a missing one there is a defect, not a reason to skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def skip_or_fail(reason: str) -> None:
    """Skip the test, or fail it when running in CI (``CI=true``)."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this must be available in CI)")
    pytest.skip(reason)


def shared_real_dir() -> Path:
    """Return the folder with the real public data (env ``KOTACERDAS_SHARED_DATA`` overrides)."""
    env = os.environ.get("KOTACERDAS_SHARED_DATA")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data" / "real"


@pytest.fixture
def real_data_dir() -> Path:
    """Path of ``../shared/data/real``; skips (or fails under CI) when absent."""
    d = shared_real_dir()
    if not (d / "luwu_utara_desa_hdx_bps2020.geojson").exists():
        skip_or_fail(f"real data not found in {d} (set KOTACERDAS_SHARED_DATA)")
    return d


@pytest.fixture
def real_desa_path(real_data_dir: Path) -> Path:
    """Read the HDX/BPS 2020 village polygons of Luwu Utara (179 features, CRS84)."""
    return real_data_dir / "luwu_utara_desa_hdx_bps2020.geojson"
