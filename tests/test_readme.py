"""The README's Python quickstart runs as written (in a temporary folder)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
from conftest import REPO_ROOT


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_quickstart_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = python_blocks((REPO_ROOT / "README.md").read_text(encoding="utf-8"))
    assert blocks, "the README has no Python quickstart"
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for block in blocks:
            exec(compile(block, "README.md", "exec"), {})
    written = sorted(p.name for p in (tmp_path / "out" / "quickstart").iterdir())
    assert written == ["map.html", "plan.gpkg", "project.qgz", "report.html", "summary.json"]
