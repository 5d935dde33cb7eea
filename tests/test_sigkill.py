"""SIGKILL during writing: the output folder always holds exactly one run's complete files.

A helper process imports the package and plans the tiny scenario once, then forks one
writer per round; each writer calls :func:`~kotacerdas_gis.outputs.bundle.write_outputs`
in a loop (run names ``run <round>.<k>``) until the test kills it with SIGKILL after a
delay that varies from round to round (so kills land in every phase of writing: the
GeoPackage, the map, the report, the swap). After each kill the folder must hold the four
files of one run (the same name in each, every file whole) -- the last run a writer
finished or the one it was swapping in -- and, after a final run that completes, no stale
staging folder or temporary file may remain. Guarded by subprocess timeouts only.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kotacerdas_gis.outputs.bundle import OUTPUT_FILES

SRC = str(Path(__file__).resolve().parents[1] / "src")
ROUNDS = 20

_ZYGOTE = textwrap.dedent("""
    import dataclasses, os, sys
    from kotacerdas_gis.outputs.bundle import write_outputs
    from kotacerdas_gis.plan import PlanConfig, run_plan
    from kotacerdas_gis.testing import tiny_scenario
    out = sys.argv[1]
    result = run_plan(tiny_scenario(), PlanConfig(lang="en"))
    def named(name):
        return dataclasses.replace(result, scenario=dataclasses.replace(result.scenario, name=name))
    def say(text):  # one write(2) per line: parent and child share the pipe
        os.write(1, (text + chr(10)).encode())
    say("ready")
    for line in sys.stdin:
        cmd, rnd = line.split()
        pid = os.fork()
        if pid == 0:
            k = 0
            while True:
                k += 1
                name = f"run {rnd}.{k}"
                say(f"start {name}")
                write_outputs(named(name), out)
                say(f"done {name}")
                if cmd == "once":
                    os._exit(0)
        say(f"pid {pid}")
        os.waitpid(pid, 0)
        say("reaped")
""")


def _read_until(proc: subprocess.Popen, word: str, lines: list[str], deadline: float) -> str:
    while time.monotonic() < deadline:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        if not line:
            raise AssertionError(f"helper ended early: {proc.stderr.read()[-3000:]}")  # type: ignore[union-attr]
        lines.append(line.strip())
        if line.startswith(word):
            return line.strip()
    raise AssertionError(f"timed out waiting for {word!r}")


def _one_run(folder: Path) -> str:
    """Return the run name the folder holds, checking the four files are whole and agree."""
    assert sorted(p.name for p in folder.iterdir()) == sorted(OUTPUT_FILES)
    name = json.loads((folder / "summary.json").read_text())["scenario"]["name"]
    con = sqlite3.connect(f"file:{folder / 'plan.gpkg'}?mode=ro", uri=True)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        sources = set(re.findall(r'<MDI key="scenario">([^<]*)</MDI>', "".join(
            r[0] for r in con.execute("SELECT metadata FROM gpkg_metadata"))))
    finally:
        con.close()
    assert sources == {name}
    for f in ("map.html", "report.html"):
        text = (folder / f).read_text()
        assert text.rstrip().endswith("</html>"), f
        assert f"plan: {name}<" in text, f
    return name


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_sigkill_while_writing_leaves_one_complete_run(tmp_path: Path) -> None:
    _kill_rounds(tmp_path, signal.SIGKILL, ROUNDS)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_ctrl_c_while_writing_cleans_up_at_once(tmp_path: Path) -> None:
    """SIGINT (Ctrl-C) raises KeyboardInterrupt: the staging folder goes at once, not next run."""
    _kill_rounds(tmp_path, signal.SIGINT, 6)


def _kill_rounds(tmp_path: Path, sig: int, rounds: int) -> None:
    out = tmp_path / "out"
    script = tmp_path / "zygote.py"
    script.write_text(_ZYGOTE)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(out)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": SRC},
    )
    deadline = time.monotonic() + 240  # a guard against a hang, not a timing assertion
    seen_stale = 0
    try:
        _read_until(proc, "ready", [], deadline)
        last_held = None
        for rnd in range(rounds):
            lines: list[str] = []
            proc.stdin.write(f"loop {rnd}\n")  # type: ignore[union-attr]
            proc.stdin.flush()  # type: ignore[union-attr]
            pid = int(_read_until(proc, "pid ", lines, deadline).split()[1])
            _read_until(proc, "start", lines, deadline)
            time.sleep(0.013 * rnd)  # 0 .. 0.25 s: kills in every phase of writing
            os.kill(pid, sig)
            _read_until(proc, "reaped", lines, deadline)
            done = [ln.split(" ", 1)[1] for ln in lines if ln.startswith("done")]
            started = [ln.split(" ", 1)[1] for ln in lines if ln.startswith("start")]
            if out.exists():
                held = _one_run(out)
                # the last run finished, the one being swapped in, or (none finished in
                # this round) what the folder held before
                assert held in {*done[-1:], started[-1], *([last_held] if not done else [])}, (
                    held, lines)
                last_held = held
            stale = sum(1 for p in tmp_path.iterdir() if ".staging-" in p.name)
            if sig == signal.SIGINT:
                assert stale == 0, sorted(p.name for p in tmp_path.iterdir())
            seen_stale += stale
        lines = []
        proc.stdin.write("once final\n")  # type: ignore[union-attr]
        proc.stdin.flush()  # type: ignore[union-attr]
        _read_until(proc, "reaped", lines, deadline)
        assert any(ln == "done run final.1" for ln in lines), lines
        assert _one_run(out) == "run final.1"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "zygote.py"]
    finally:
        proc.stdin.close()  # type: ignore[union-attr]
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
    print(f"stale staging folders seen between kills: {seen_stale}")
