"""The output folder as a unit: staged, swapped in whole, stale leftovers cleaned, errors named.

``write_outputs`` writes the four files of the output contract into a staging folder
beside the target and exchanges it with the target in one system call (see
:mod:`kotacerdas_gis.io.atomic`). File-system failures are provoked for real where the
machine allows: a small tmpfs in a private mount namespace (``unshare -rm``) for a full
disk and a read-only file system, an unprivileged user (``setpriv``) for permissions.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kotacerdas_gis.errors import KotaCerdasError, OutputError
from kotacerdas_gis.io.atomic import check_output_folder, clean_stale
from kotacerdas_gis.outputs.bundle import OUTPUT_FILES, write_outputs
from kotacerdas_gis.plan import PlanConfig, run_plan
from kotacerdas_gis.testing import tiny_scenario

PY = sys.executable
SRC = str(Path(__file__).resolve().parents[1] / "src")


@pytest.fixture(scope="module")
def result():
    return run_plan(tiny_scenario(), PlanConfig(lang="en"))


def named(result, name: str):
    """Return the same plan under another scenario name (it reaches all four files)."""
    return dataclasses.replace(result, scenario=dataclasses.replace(result.scenario, name=name))


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def run_name(folder: Path) -> set[str]:
    """Return the scenario names the output files carry (one when the folder is one run)."""
    names = {json.loads((folder / "summary.json").read_text())["scenario"]["name"]}
    con = sqlite3.connect(f"file:{folder / 'plan.gpkg'}?mode=ro", uri=True)
    try:
        names |= set(re.findall(r'<MDI key="scenario">([^<]*)</MDI>', "".join(
            r[0] for r in con.execute("SELECT metadata FROM gpkg_metadata"))))
    finally:
        con.close()
    for f in ("map.html", "report.html"):
        text = (folder / f).read_text()
        names |= {n for n in _candidates(folder) if f"plan: {n}<" in text}
    return names


def _candidates(folder: Path) -> set[str]:
    return {json.loads((folder / "summary.json").read_text())["scenario"]["name"]} | {
        f"run {k}" for k in range(100)}


def siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name != out.name)


def test_second_run_replaces_all_four_files_together(result, tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_outputs(named(result, "run 1"), out)
    write_outputs(named(result, "run 2"), out)
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    assert run_name(out) == {"run 2"}
    assert siblings(out) == []  # no staging folder left beside


def test_returned_paths_are_in_the_target(result, tmp_path: Path) -> None:
    files = write_outputs(result, tmp_path / "out")
    assert [p.parent for p in files] == [tmp_path / "out"] * 5
    assert all(p.is_file() for p in files)


def test_user_files_in_the_folder_are_kept(result, tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_outputs(named(result, "run 1"), out)
    (out / "notes.txt").write_text("bawa ke rapat")
    (out / "plan.qgz").write_bytes(b"PK\x03\x04 qgis project")
    os.symlink("notes.txt", out / "link.txt")
    write_outputs(named(result, "run 2"), out)
    assert (out / "notes.txt").read_text() == "bawa ke rapat"
    assert (out / "plan.qgz").read_bytes() == b"PK\x03\x04 qgis project"
    assert os.readlink(out / "link.txt") == "notes.txt"
    assert run_name(out) == {"run 2"}


def test_failure_while_writing_leaves_the_previous_run_untouched(
    result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    write_outputs(named(result, "run 1"), out)
    before = digests(out)

    def boom(*a, **k):
        raise KotaCerdasError("report failed")

    monkeypatch.setattr("kotacerdas_gis.outputs.bundle.write_report", boom)
    with pytest.raises(KotaCerdasError, match="report failed"):
        write_outputs(named(result, "run 2"), out)
    assert digests(out) == before  # plan.gpkg and map.html of run 2 never reached the folder
    assert siblings(out) == []


def test_stale_leftovers_of_killed_runs_are_cleaned_user_files_kept(
    result, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    write_outputs(named(result, "run 1"), out)
    dead = subprocess.run([PY, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    stale = tmp_path / f".out.staging-{dead}-deadbeef"
    stale.mkdir()
    (stale / "plan.gpkg").write_bytes(b"half")
    (stale / "my_only_copy.txt").write_text("keep me")
    live = tmp_path / f".out.staging-{os.getppid()}-0badc0de"  # a live process: not to clean
    live.mkdir()
    for name in (".plan.k2j4_x9a.tmp.gpkg", ".plan.k2j4_x9a.tmp.gpkg-journal",
                 ".summary.ab12cd34.tmp.json"):
        (out / name).write_bytes(b"x")
    (out / ".plan.tmp.gpkg.bak").write_bytes(b"user")  # not our pattern
    (tmp_path / ".out.staging-x-deadbeef").mkdir()  # not our pattern either
    write_outputs(named(result, "run 2"), out)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*OUTPUT_FILES, ".plan.tmp.gpkg.bak", "my_only_copy.txt"])
    assert (out / "my_only_copy.txt").read_text() == "keep me"
    assert siblings(out) == sorted([live.name, ".out.staging-x-deadbeef"])


def test_clean_stale_on_a_missing_folder_removes_nothing(tmp_path: Path) -> None:
    assert clean_stale(tmp_path / "nope") == []


def test_out_is_a_file_named_before_anything(result, tmp_path: Path) -> None:
    f = tmp_path / "plan.gpkg"
    f.write_bytes(b"mine")
    with pytest.raises(OutputError, match=r"plan\.gpkg: it is a file, not a folder"):
        write_outputs(result, f)
    assert f.read_bytes() == b"mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.gpkg"]


def test_parent_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("x")
    with pytest.raises(OutputError, match=r"is a file, not a folder"):
        check_output_folder(tmp_path / "a" / "b" / "out")


def test_check_output_folder_creates_nothing(tmp_path: Path) -> None:
    got = check_output_folder(tmp_path / "x" / "out")
    assert got == (tmp_path / "x" / "out").resolve()
    assert list(tmp_path.iterdir()) == []


def test_symlinked_out_folder_stays_a_symlink(result, tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "out").symlink_to(real)
    write_outputs(result, tmp_path / "out")
    write_outputs(result, tmp_path / "out")
    assert (tmp_path / "out").is_symlink()
    assert sorted(p.name for p in real.iterdir()) == sorted(OUTPUT_FILES)


def test_folder_permissions_are_kept(result, tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_outputs(result, out)
    os.chmod(out, 0o2750)
    if os.geteuid() == 0:
        os.chown(out, -1, 65534)
    write_outputs(result, out)
    assert out.stat().st_mode & 0o7777 == 0o2750
    if os.geteuid() == 0:
        assert out.stat().st_gid == 65534
    assert (out / "summary.json").stat().st_mode & 0o777 == 0o644 & ~_umask()


def _umask() -> int:
    m = os.umask(0)
    os.umask(m)
    return m


def test_current_folder_as_out_falls_back_to_file_by_file(
    result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    write_outputs(named(result, "run 1"), out)
    monkeypatch.chdir(out)
    write_outputs(named(result, "run 2"), ".")
    assert Path.cwd() == out  # the shell's folder was not swapped away
    assert run_name(out) == {"run 2"}
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    assert siblings(out) == []


def test_cli_refuses_a_file_as_out_before_computing(tmp_path: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from kotacerdas_gis.cli import app

    def no_compute(*a, **k):  # pragma: no cover - must not be reached
        raise AssertionError("computed before checking --out")

    monkeypatch.setattr("kotacerdas_gis.plan.run_plan", no_compute)
    monkeypatch.setattr("kotacerdas_gis.datasets.load_demo", no_compute)
    f = tmp_path / "out.txt"
    f.write_text("x")
    res = CliRunner().invoke(app, ["demo", "--out", str(f)])
    assert res.exit_code == 3, res.output  # exit 3: a file that cannot be written
    text = " ".join(res.output.split())  # rich wraps long lines
    assert "OutputError" in text and "it is a file, not a folder" in text


# ---------------------------------------------------------------- real file-system failures

def _can_unshare() -> bool:
    if not shutil.which("unshare") or not sys.platform.startswith("linux"):
        return False
    r = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
                       capture_output=True, timeout=30)
    return r.returncode == 0


needs_mount_ns = pytest.mark.skipif(not _can_unshare(), reason="no private mount namespace "
                                    "(unshare -rm with tmpfs) on this machine")

_FS_SCRIPT = textwrap.dedent("""
    import hashlib, json, os, subprocess, sys
    from pathlib import Path
    from kotacerdas_gis.errors import OutputError
    from kotacerdas_gis.outputs.bundle import write_outputs
    from kotacerdas_gis.plan import PlanConfig, run_plan
    from kotacerdas_gis.testing import tiny_scenario
    mnt, size, case = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)], check=True)
    result = run_plan(tiny_scenario(), PlanConfig(lang="en"))
    out = mnt if case == "mountpoint" else mnt / "out"
    if case != "fresh":
        write_outputs(result, out)
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir()} \\
        if out.exists() else None
    if case == "full":
        free = os.statvfs(mnt).f_bavail * os.statvfs(mnt).f_frsize
        with open(mnt / "filler", "wb") as fh:
            fh.write(b"0" * max(free - 100_000, 0))
    if case == "ro":
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
    try:
        write_outputs(result, out)
        msg = None
    except OutputError as exc:
        msg = str(exc)
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir()} \\
        if out.exists() else None
    left = sorted(p.name for p in mnt.iterdir())
    if case == "mountpoint":
        left += sorted(p.name for p in mnt.parent.iterdir() if p.name.startswith("."))
    print(json.dumps({"msg": msg, "same": before == after, "left": left}))
""")


def _fs_case(tmp_path: Path, size: str, case: str) -> dict:
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    script = tmp_path / "fs.py"
    script.write_text(_FS_SCRIPT)
    env = {**os.environ, "PYTHONPATH": SRC}
    r = subprocess.run(["unshare", "-rm", PY, str(script), str(mnt), size, case],
                       capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


@needs_mount_ns
def test_disk_full_while_writing_is_named_and_leaves_nothing(tmp_path: Path) -> None:
    got = _fs_case(tmp_path, "120k", "fresh")  # the first set of outputs does not fit
    assert got["msg"] is not None and "disk full" in got["msg"], got
    assert "/out" in got["msg"]
    assert got["left"] == []  # no folder, no staging, no temporary file


@needs_mount_ns
def test_disk_full_before_writing_keeps_the_previous_outputs(tmp_path: Path) -> None:
    got = _fs_case(tmp_path, "2m", "full")
    assert got["msg"] is not None and "disk full" in got["msg"], got
    assert got["same"] is True
    assert got["left"] == ["filler", "out"]


@needs_mount_ns
def test_read_only_file_system_is_named_and_keeps_the_outputs(tmp_path: Path) -> None:
    got = _fs_case(tmp_path, "2m", "ro")
    assert got["msg"] is not None and "read-only file system" in got["msg"], got
    assert got["same"] is True
    assert got["left"] == ["out"]


@needs_mount_ns
def test_a_mount_point_as_out_is_filled_in_place(tmp_path: Path) -> None:
    """A USB stick or network share mounted as --out: renames cannot cross to its parent."""
    got = _fs_case(tmp_path, "4m", "mountpoint")
    assert got["msg"] is None, got
    assert got["left"] == sorted(
        ["map.html", "plan.gpkg", "project.qgz", "report.html", "summary.json"])  # nothing beside


def _can_setpriv() -> bool:
    return (shutil.which("setpriv") is not None and hasattr(os, "geteuid")
            and os.geteuid() == 0)


@pytest.mark.skipif(not _can_setpriv(), reason="needs root to run a child as user nobody")
@pytest.mark.parametrize("traversable", [True, False])
def test_permission_denied_is_named(traversable: bool) -> None:
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="kc-perm-"))
    os.chmod(base, 0o755 if traversable else 0o700)  # owned by root: nobody cannot write
    out = base / "out"
    code = ("import sys\nfrom kotacerdas_gis.io.atomic import check_output_folder\n"
            "try:\n    check_output_folder(sys.argv[1])\nexcept Exception as e:\n"
            "    print(type(e).__name__, e)\n")
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", PY,
                        "-c", code, str(out)], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "PYTHONPATH": SRC, "HOME": "/tmp"}, cwd="/tmp")
    shutil.rmtree(base)
    assert "OutputError" in r.stdout, r.stdout + r.stderr
    assert "permission denied" in r.stdout and str(out) in r.stdout


# ---------------------------------------------------------------- paths relative to the manifest

def _manifest_project(tmp_path: Path) -> Path:
    """Write the tiny scenario's layers, a DEM and a manifest; inputs lie beside the project."""
    import numpy as np

    import rasterio
    from rasterio.transform import from_origin

    from kotacerdas_gis.testing import TINY_X0, TINY_Y0, tiny_flood

    data, project = tmp_path / "data", tmp_path / "project"
    data.mkdir()
    project.mkdir()
    sc = tiny_scenario(flood=tiny_flood())
    layers: dict[str, dict[str, str]] = {}
    for key in ("admin_desa", "buildings", "roads", "facilities", "observed_flood_2020"):
        getattr(sc, key).to_file(data / f"{key}.gpkg", layer=key, driver="GPKG")
        layers[key] = {"path": f"../data/{key}.gpkg", "layer": key, "source": "test"}
    sc.population.to_csv(data / "pop.csv", index=False)
    layers["population"] = {"path": "../data/pop.csv"}
    dem = np.add.outer(np.arange(24, dtype="float32"), np.arange(44, dtype="float32")) + 10
    with rasterio.open(data / "dem.tif", "w", driver="GTiff", width=44, height=24, count=1,
                       dtype="float32", crs="EPSG:32751", nodata=-9999,
                       transform=from_origin(TINY_X0 - 100, TINY_Y0 + 1100, 50, 50)) as dst:
        dst.write(dem, 1)
    layers["dem"] = {"path": "../data/dem.tif"}
    m = project / "scenario.json"
    m.write_text(json.dumps({"name": "tiny manifest", "crs": "EPSG:32751", "layers": layers}))
    return m


def test_outputs_name_inputs_relative_to_the_manifest(tmp_path: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from kotacerdas_gis.cli import app

    manifest = _manifest_project(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # neither the manifest's folder nor the inputs'
    config = tmp_path / "project" / "config.json"  # the tiny road lies far from the streams
    config.write_text(json.dumps({"sensors": None}))  # no sensor siting on 1 km²
    res = CliRunner().invoke(app, ["run", str(manifest), "--out", str(tmp_path / "out"),
                                   "--config", str(config)])
    assert res.exit_code == 0, res.output
    out = tmp_path / "out"
    for name in OUTPUT_FILES:
        data = (out / name).read_bytes()
        assert str(tmp_path).encode() not in data, name
    summary = json.loads((out / "summary.json").read_text())
    sources = {s["step"]: s["source"] for s in summary["validation"]["accounting"]}
    assert sources["read roads"] == "../data/roads.gpkg|layername=roads"
    assert summary["scenario"]["dem"] == "../data/dem.tif"
    assert summary["scenario"]["provenance"]["population"]["path"] == "../data/pop.csv"


def test_a_url_in_the_scenario_name_never_leaves_a_mixed_folder(result, tmp_path: Path) -> None:
    """Once refused by the map as an 'external asset' after plan.gpkg was written."""
    out = tmp_path / "out"
    write_outputs(named(result, "run 1"), out)
    before = digests(out)
    try:
        write_outputs(named(result, "Masamba https://example.org/x.js"), out)
    except KotaCerdasError:
        assert digests(out) == before  # refused: the earlier run, whole
    else:
        assert run_name(out) == {"Masamba https://example.org/x.js"}
    assert siblings(out) == []


def _dead_pid() -> str:
    return subprocess.run([PY, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()


def test_a_single_writer_removes_temporaries_of_killed_writers_of_its_file(tmp_path) -> None:
    from kotacerdas_gis.io.atomic import write_text_atomic

    dead, live = _dead_pid(), str(os.getppid())
    stale = [f".notes.{dead}-abcd1234.tmp.txt", ".notes.k2j4_x9a.tmp.txt"]  # 2nd: no pid (old)
    kept = [f".notes.{live}-abcd1234.tmp.txt",  # a running writer's
            f".other.{dead}-abcd1234.tmp.txt",  # another destination's
            f".notes.{dead}-abcd1234.tmp.json"]  # another suffix's
    for name in stale + kept:
        (tmp_path / name).write_text("x")
    write_text_atomic("hello", tmp_path / "notes.txt")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*kept, "notes.txt"])


@pytest.mark.skipif(not _can_setpriv(), reason="needs root to run a child as user nobody")
def test_writable_folder_in_a_locked_parent_still_receives_the_outputs() -> None:
    """A folder an administrator prepared (``/srv/shared/out``, parent not writable)."""
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="kc-locked-"))
    os.chmod(base, 0o755)  # root's: nobody cannot create the staging folder beside
    out = base / "out"
    out.mkdir()
    os.chown(out, 65534, 65534)
    code = textwrap.dedent("""
        import sys
        from kotacerdas_gis.outputs.bundle import write_outputs
        from kotacerdas_gis.plan import run_plan
        from kotacerdas_gis.testing import tiny_scenario
        r = run_plan(tiny_scenario())
        write_outputs(r, sys.argv[1])
        write_outputs(r, sys.argv[1])
    """)
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", PY,
                        "-c", code, str(out)], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": SRC, "HOME": "/tmp"}, cwd="/tmp")
    names = sorted(p.name for p in out.iterdir())
    beside = sorted(p.name for p in base.iterdir())
    shutil.rmtree(base)
    assert r.returncode == 0, r.stderr[-3000:]
    assert names == sorted(OUTPUT_FILES)
    assert beside == ["out"]
