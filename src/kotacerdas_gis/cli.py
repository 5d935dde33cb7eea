"""Command line: ``kotacerdas demo``, ``kotacerdas run MANIFEST``, ``kotacerdas check MANIFEST``.

Errors of the package's family are shown as one clear message and exit code 2; a file
that cannot be written (permissions, disk full) exits with 3; anything else is a bug and
keeps its traceback (exit code 1). The long steps show a progress bar on a terminal
(:data:`kotacerdas_gis.plan.PLAN_STEPS`, through ``run_plan(progress=...)``).
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.table import Table

from .errors import KotaCerdasError, OutputError, RepairWarning

#: Exit codes, as ``--help`` lists them.
EXIT_CODES = {
    0: "success",
    1: "check: the scenario has blocking problems (listed); any other command: an "
       "unexpected error, a bug (with its traceback)",
    2: "bad input, parameter or command line: one message naming the file, layer, column or "
       "key and the fix",
    3: "an output or input file could not be written or read (permissions, disk full); "
       "earlier outputs are left as they were",
}
EXIT_WRITE = 3

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    help="kotacerdas_gis: flood-risk planning for the rebuilding of Masamba, Luwu Utara.\n\n"
    "Exit codes:\n\n" + "\n\n".join(f"{k}  {v}" for k, v in EXIT_CODES.items()),
)
console = Console(stderr=False)
err_console = Console(stderr=True)

OutOption = Annotated[Path, typer.Option("--out", "-o", help="Output folder.")]
LangOption = Annotated[
    str | None, typer.Option("--lang", help="Labels: 'id' (Bahasa Indonesia, default) or 'en'.")
]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Plan parameters as TOML (plan.toml: stage_m = 2.5, comments allowed) or JSON "
        '(plan.json: {"stage_m": 2.5}); keys of kotacerdas_gis.plan.PlanConfig.',
    ),
]
VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help="Log each step.")]


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=err_console, show_path=False)],
        force=True,
    )


def _guard(fn: Callable[[], Any]) -> Any:
    try:
        with warnings.catch_warnings():
            # repairs are printed from the accounting report, step by step, instead
            warnings.simplefilter("ignore", RepairWarning)
            return fn()
    except OutputError as exc:  # the output folder: a file, read-only, permission, disk full
        err_console.print(f"[bold red]error:[/] {type(exc).__name__}: {escape(str(exc))}")
        raise typer.Exit(code=EXIT_WRITE) from None
    except KotaCerdasError as exc:
        err_console.print(f"[bold red]error:[/] {type(exc).__name__}: {escape(str(exc))}")
        raise typer.Exit(code=2) from None
    except OSError as exc:
        where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        err_console.print(f"[bold red]error:[/] cannot write or read{escape(where)}: "
                          f"{escape(exc.strerror or str(exc))}. Choose a folder you can write "
                          "to (--out) or free some space; earlier outputs are unchanged.")
        raise typer.Exit(code=EXIT_WRITE) from None


def _config(manifest: Path | None, lang: str | None, config_path: Path | None) -> Any:
    """Build the run's PlanConfig from --config (TOML or JSON), --lang and the demo's defaults."""
    from .plan import PlanConfig

    defaults: dict[str, Any] = {}
    if manifest is None:
        # the bundled scenario is about the town of Masamba: its figures lead
        defaults["focus_area"] = "Masamba"
        # an illustrative rebuild budget (Rp 50 miliar), to show what a budget buys
        defaults["rebuild_budget_idr"] = 50e9
    overrides = {"lang": lang} if lang is not None else {}
    return PlanConfig.from_file(config_path, defaults=defaults, overrides=overrides)


def _plan_and_write(
    manifest: Path | None, out: Path, lang: str | None, config_path: Path | None
) -> None:
    from .datasets import load_demo
    from .io.atomic import check_output_folder
    from .io.manifest import read_scenario
    from .outputs.bundle import OUTPUT_FILES, write_outputs
    from .outputs.summary import console_lines, plan_summary
    from .plan import run_plan
    from .preflight import require_valid

    # everything that can be refused is refused before computing: options, the output
    # folder, then the inputs (the same checks as `kotacerdas check`)
    config = _config(manifest, lang, config_path)
    check_output_folder(out, own=OUTPUT_FILES)  # a file, read-only, permission, disk full
    with console.status("reading the scenario ..."):
        scenario = load_demo() if manifest is None else read_scenario(manifest)
        require_valid(scenario, config)
    console.print(f"[bold]{escape(scenario.name)}[/]")
    if scenario.demonstration:
        console.print("[yellow]demonstration data: a reconstruction, not official data[/]")
    with _progress() as progress:
        result = run_plan(scenario, config, progress=progress)
    with console.status(f"writing outputs to {escape(str(out))} ..."):
        files = write_outputs(result, out)
    summary = plan_summary(result)
    _print_summary(summary)
    for line in console_lines(result, summary):
        console.print(line, markup=False)
    table = Table(title="Outputs", show_header=False)
    for f in files:
        table.add_row(escape(str(f)))
    console.print(table)


@contextlib.contextmanager
def _progress() -> Iterator[Callable[[str, float | None], None]]:
    """Show the plan's steps as a rich progress bar (plain lines when not on a terminal)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from .plan import PLAN_STEPS

    bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/"
                   "{task.total} steps"), TimeElapsedColumn(), console=console, transient=False,
                   disable=not console.is_terminal)
    task = bar.add_task("planning", total=len(PLAN_STEPS))

    def report(step: str, seconds: float | None) -> None:
        if seconds is None:
            bar.update(task, description=f"planning: {step}")
        else:
            bar.advance(task)
            if not console.is_terminal:
                console.print(f"  {step}: {seconds:.1f} s", markup=False)

    with bar:
        yield report
        bar.update(task, completed=len(PLAN_STEPS), description="planning: done")


def _print_summary(summary: dict[str, Any]) -> None:
    counts = summary["scenario"]["counts"]
    table = Table(title="Scenario", show_header=True)
    table.add_column("layer")
    table.add_column("features", justify="right")
    for k, v in counts.items():
        table.add_row(escape(str(k)), f"{v:,}")
    console.print(table)
    val = summary["validation"]
    for remark in val["remarks"]:
        console.print(f"[yellow]note:[/] {escape(str(remark))}")
    repaired = sum(s["n_repaired"] for s in val["accounting"])
    rejected = sum(s["n_rejected"] for s in val["accounting"])
    console.print(f"input accounting: {repaired} features repaired, {rejected} rejected")
    for step in val["accounting"]:
        for kind in ("reasons_repaired", "reasons_rejected"):
            for reason, n in step[kind].items():
                verb = "repaired" if kind == "reasons_repaired" else "rejected"
                console.print(f"  {step['step']}: {n:,} {verb}: {reason}", markup=False)


@app.command()
def demo(
    out: OutOption = Path("out/masamba"),
    lang: LangOption = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Run the whole plan on the bundled Masamba scenario (a demonstration reconstruction)."""
    _setup_logging(verbose)
    _guard(lambda: _plan_and_write(None, out, lang, config))


@app.command()
def run(
    manifest: Annotated[
        Path, typer.Argument(help="Scenario manifest (JSON), like data/scenario.json.")
    ],
    out: OutOption = Path("out/plan"),
    lang: LangOption = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Run the whole plan on the scenario a manifest describes."""
    _setup_logging(verbose)
    _guard(lambda: _plan_and_write(manifest, out, lang, config))


@app.command()
def check(
    manifest: Annotated[Path, typer.Argument(help="Scenario manifest (JSON).")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Also check that this output folder "
                                  "can be written.")
    ] = None,
    lang: LangOption = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Validate a scenario as `run` would (same checks); print counts, repairs, problems.

    Exit 1 on problems, 2 on an error that stops reading.
    """
    _setup_logging(verbose)
    from .io.atomic import check_output_folder
    from .io.manifest import read_scenario
    from .outputs.bundle import OUTPUT_FILES
    from .preflight import validate_scenario

    def read() -> Any:
        settings = _config(manifest, lang, config)
        if out is not None:
            check_output_folder(out, own=OUTPUT_FILES)
        scenario = read_scenario(manifest)
        return scenario, validate_scenario(scenario, settings)

    scenario, report = _guard(read)
    problems = list(report.problems)
    accounting = list(report.accounting)
    _print_summary({"scenario": scenario.summary(), "validation": report.to_dict()})
    for step in accounting:
        if step["n_repaired"] or step["n_rejected"] or step["notes"]:
            console.print(
                f"{step['step']}: {step['n_in']} in, repaired {step['reasons_repaired']}, "
                f"rejected {step['reasons_rejected']}, notes {step['notes']}",
                markup=False,
            )
    for problem in problems:
        err_console.print(f"[bold red]problem:[/] {escape(str(problem))}")
    if problems:
        raise typer.Exit(code=1)
    console.print("[green]scenario OK[/]")


def main() -> None:  # pragma: no cover - console entry point alias
    """Entry point for ``python -m kotacerdas_gis``."""
    app(prog_name="kotacerdas")


if __name__ == "__main__":  # pragma: no cover
    main()
