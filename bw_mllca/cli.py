"""The ``bw-mllca`` command: set up a project, run a study, write results."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

DEFAULT_PROJECT = "bw_mllca"
SWEEP_PARAMETERS = ("lifetime_queries", "lifespan_years", "utilization", "pue", "wue", "batch_size", "training_energy_factor", "mfu_factor",
                    "idle_share", "idle_power_w")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bw-mllca",
        description="Life cycle assessment of machine-learning models on Brightway 2.5.",
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _global_options(parser)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    setup = commands.add_parser(
        "setup",
        help="make the project ready: biosphere3, TRACI/EF/IPCC methods, public-data background",
        description="Set up a Brightway project offline and idempotently; with --background, also check the "
        "ecoinvent mapping against the project's ecoinvent database and relink the hardware to it.",
    )
    _background_arguments(setup)
    run = commands.add_parser(
        "run",
        help="build a study and write its results (lcia.csv)",
        description="Set up the project if needed, build STUDY's foreground and write DIR/lcia.csv.",
    )
    run.add_argument("study", type=Path, help="study file (TOML or YAML)")
    run.add_argument("--out", type=Path, required=True, help="output folder")
    run.add_argument("--iterations", type=int, default=10_000, help="Monte Carlo iterations (default 10,000; 0: none)")
    run.add_argument("--seed", type=int, default=0, help="Monte Carlo seed (default 0)")
    # Plots cost 1.7-2.6 s of a ~5 s run (matplotlib import and rendering): written only when asked.
    plotting = run.add_mutually_exclusive_group()
    plotting.add_argument("--plots", action="store_true", help="also write the PNG/SVG plots (stages, amortization, tornado)")
    plotting.add_argument("--no-plots", action="store_true", help="no effect: plots are off unless --plots (kept for old scripts)")
    _dask_argument(run)
    _background_arguments(run)

    compare = commands.add_parser(
        "compare",
        help="compare studies on the same functional unit",
        description="Build each STUDY and compare them per category (they must share the functional unit "
        "and meet its constraints); writes comparison.csv, comparison.xlsx and plots.",
    )
    compare.add_argument("studies", type=Path, nargs="+", metavar="STUDY", help="two or more study files")
    compare.add_argument("--out", type=Path, required=True, help="output folder")
    compare.add_argument("--iterations", type=int, default=2_000, help="Monte Carlo iterations on shared background draws for P(A < B) (default 2,000; 0: none)")
    compare.add_argument("--seed", type=int, default=0, help="Monte Carlo seed (default 0)")
    compare.add_argument("--no-plots", action="store_true", help="skip the plots (faster)")
    _dask_argument(compare)
    _background_arguments(compare)

    sweep = commands.add_parser(
        "sweep",
        help="score per FU over a range of one parameter (fast engine, no re-solve per point)",
        description="Evaluate STUDY's per-FU scores for many values of one named parameter and write a CSV. "
        f"Parameters: {', '.join(SWEEP_PARAMETERS)}.",
    )
    sweep.add_argument("study", type=Path, help="study file (TOML or YAML)")
    sweep.add_argument("--parameter", required=True, choices=SWEEP_PARAMETERS, help="the parameter to vary")
    sweep.add_argument("--range", type=float, nargs=2, required=True, metavar=("LOW", "HIGH"), help="its low and high value")
    sweep.add_argument("--points", type=int, default=101, help="number of values (default 101)")
    sweep.add_argument("--log", action="store_true", help="space the values logarithmically")
    sweep.add_argument("--out", type=Path, required=True, help="CSV file to write")
    _background_arguments(sweep)

    _listing_parser(commands, "regions", "list the grid regions a study's datacenter may name",
                    "List every grid region (code, name, kind, years with a mix, GWP100 per kWh at the "
                    "datacenter meter in the latest year, water, AWARE factor, losses, aliases). Needs no project.",
                    ("country", "subregion", "state", "zone"), "only regions of this kind")
    _listing_parser(commands, "hardware", "list the catalog hardware a study may name",
                    "List every catalog device (code, kind, name, own lifespan, TDP or non-accelerator draw, "
                    "GWP100 of manufacturing one unit, memory, dies, aliases). Needs no project.",
                    ("accelerator", "cpu-server", "host-server", "storage", "network"), "only devices of this kind")

    from .jobs import command as jobs_command  # `bw-mllca jobs`: per-job footprints of a cluster

    jobs_command.add_parser(commands)

    export = commands.add_parser(
        "export",
        help="export a study's inventory in bw2io's Excel format",
        description="Build STUDY and write its foreground inventory as a bw2io Excel workbook.",
    )
    export.add_argument("study", type=Path, help="study file (TOML or YAML)")
    export.add_argument("--out", type=Path, required=True, help="workbook path (.xlsx)")
    _background_arguments(export)
    for command in (run, compare, sweep):
        command.add_argument("--method", action="append", default=None, metavar="METHOD",
                             help="LCIA method to calculate, repeatable: 'family | category | indicator', a "
                             "family ('IPCC 2021') or an alias (traci, gwp100, water, aware, ipcc2021-gwp100, "
                             "ef3.1, default; default: TRACI v2.1 and water)")
    for command in commands.choices.values():  # the global options may also follow the command
        _global_options(command, after_command=True)
    return parser


def _listing_parser(commands: argparse._SubParsersAction, name: str, summary: str, description: str, kinds: tuple[str, ...], kind_help: str) -> None:
    """A catalog listing command (``regions``, ``hardware``): --format and --kind."""
    listing = commands.add_parser(name, help=summary, description=description)
    listing.add_argument("--format", choices=("table", "csv"), default="table", help="output format (default table)")
    listing.add_argument("--kind", choices=kinds, default=None, help=kind_help)


def _global_options(parser: argparse.ArgumentParser, after_command: bool = False) -> None:
    """--bw-dir, --project, --verbose. After the command they default to SUPPRESS, so that leaving
    one out there keeps the value given (or defaulted) before the command."""
    keep = argparse.SUPPRESS
    parser.add_argument("--bw-dir", type=Path, default=keep if after_command else None,
                        help="Brightway data directory (default: $BRIGHTWAY2_DIR, else Brightway's own default)")
    parser.add_argument("--project", default=keep if after_command else DEFAULT_PROJECT,
                        help=f"Brightway project (default: {DEFAULT_PROJECT})")
    parser.add_argument("--verbose", action="store_true", default=keep if after_command else False,
                        help="show Brightway's own progress bars, info and warning lines, and bw_mllca's log")
    parser.add_argument("--allow-log-folder", type=Path, action="append", default=keep if after_command else [],
                        metavar="DIR", help="a folder besides the study's own that its energy logs may be read from (repeatable)")


def _background_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--background", metavar="BACKGROUND",
                        help="the background of every gateway: 'mllca background' (public data) or an ecoinvent "
                        "version and system model, e.g. ecoinvent-3.10-cutoff (overrides the study's study.background)")
    parser.add_argument("--background-database", action="append", default=[], metavar="DATABASE",
                        help="the project's ecoinvent database, if not named as --background (setup: repeatable, "
                        "one per premise scenario database)")


def _dask_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dask", nargs="?", const="local", default=None, metavar="ADDRESS",
                        help="spread the Monte Carlo background draws over a dask.distributed cluster: its "
                        "scheduler ADDRESS, or a local cluster when no address is given (pip install bw_mllca[dask])")


def _dask(args: argparse.Namespace):
    """None, True (a local cluster) or a scheduler address, from ``--dask``."""
    value = getattr(args, "dask", None)
    if value is None:
        return None
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ValueError("--dask: dask.distributed is not installed (pip install bw_mllca[dask])") from None
    return True if value == "local" else value


def _check_iterations(iterations: int) -> None:
    if iterations < 0:
        raise ValueError(f"--iterations = {iterations}: give 0 (no Monte Carlo) or more")


def _use_bw_dir(bw_dir: Path | None) -> None:
    """Point Brightway at ``bw_dir`` before bw2data is imported (it reads BRIGHTWAY2_DIR once);
    a file or a read-only folder is refused before bw2data creates anything in it."""
    from .cli_errors import check_bw_dir

    if bw_dir is not None:
        os.environ["BRIGHTWAY2_DIR"] = str(check_bw_dir(bw_dir))
    elif os.environ.get("BRIGHTWAY2_DIR"):
        check_bw_dir(Path(os.environ["BRIGHTWAY2_DIR"]), "$BRIGHTWAY2_DIR")


def _print_totals(frame) -> None:
    from .impact.calculate import totals

    from .interpretation.assessed import not_assessed

    table = totals(frame)
    missing = not_assessed(frame)
    for view in table["view"].unique():
        print(f"\n{view} view, per functional unit:")
        for _, row in table[table["view"] == view].iterrows():
            score = f"{'not assessed':>12}" if row["method"] in missing else f"{row['score']:>12.4e}"
            print(f"  {row['method']:<95} {score} {row['unit']}")


def _run(args: argparse.Namespace) -> int:
    from .impact.calculate import results_frame, system_for
    from .report.files import safe_output_dir
    from .report.outputs import write_run_outputs

    _check_iterations(args.iterations)
    dask = _dask(args)
    out = safe_output_dir(args.out)
    from .locking import project_lock

    with project_lock(args.project):  # set-up, build and factorization see one state of the project
        (study,) = _prepare(args, [args.study])
        system = system_for(study, _methods(args))  # factorized once, for the results and the interpretation
    frame = results_frame(system)
    written = write_run_outputs(study, frame, out, iterations=args.iterations, seed=args.seed, system=system,
                                plots_too=args.plots, dask=dask)
    print(f"study {study.study.name!r}: database {study.database_name!r} in project {args.project!r}")
    _print_totals(frame)
    print(f"\nwrote {len(written)} files to {out}")
    return 0


def _methods(args: argparse.Namespace) -> list[tuple[str, ...]] | None:
    """The methods ``--method`` names (None: the default set), checked against the project."""
    from .impact.method_choice import choose_methods

    return choose_methods(args.method) if args.method else None


def _prepare(args: argparse.Namespace, paths: Sequence[Path]):
    """Load every study (all validated before anything is written), set up the project, build."""
    from . import setup_project
    from .inventory.foreground import build
    from .scope.study import Study

    studies = [_with_background(Study.from_file(path, log_folders=args.allow_log_folder), args) for path in paths]
    for study in studies:
        for warning in study.warnings:
            print(f"warning: {study.study.name}: {warning}", file=sys.stderr)
    report = setup_project(args.project)
    for conflict in report.conflicts:
        print(f"conflict: {conflict}", file=sys.stderr)
    choices = [s.study.background_choice for s in studies]
    for spec, databases in dict.fromkeys((c.spec, c.databases) for c in choices if not c.is_public):
        for line in setup_project(args.project, background=spec, background_databases=databases).ecoinvent:
            print(f"background {line}", file=sys.stderr)
    from .interpretation.study_warnings import allocation_warnings, build_warnings

    for study in studies:
        build(study)
        for warning in build_warnings(study):  # energy-log gaps, a tool's PUE unlike the datacenter's
            print(f"warning: {study.study.name}: {warning}", file=sys.stderr)
    for warning in allocation_warnings(studies, [str(path) for path in paths]):
        print(f"warning: {warning}", file=sys.stderr)
    return studies


def _background_databases(args: argparse.Namespace) -> list[str]:
    """The ``--background-database`` values, which only go with ``--background``."""
    if args.background_database and args.background is None:
        raise ValueError("--background-database: give --background too")
    return args.background_database


def _with_background(study, args: argparse.Namespace):
    """``study`` on the background ``--background`` names (unchanged without it)."""
    if args.background is None:
        _background_databases(args)
        return study
    if len(args.background_database) > 1:
        raise ValueError("--background-database: one database for a study (premise scenarios go in the study file)")
    return study.with_background(args.background, args.background_database[0] if args.background_database else None)


def _compare(args: argparse.Namespace) -> int:
    from .impact.calculate import results_frame, system_for
    from .impact.engine import LinearEngine
    from .interpretation.comparison import check_comparable, compare_frames
    from .interpretation.uncertainty import paired_samples
    from .report.files import inside, safe_frame, safe_output_dir
    from .report.workbook import write_table
    from .report.writing import output_file
    from .scope.study import Study

    _check_iterations(args.iterations)
    dask = _dask(args)
    check_comparable([_with_background(Study.from_file(path, log_folders=args.allow_log_folder), args)
                      for path in args.studies])  # refuse before building
    out = safe_output_dir(args.out)
    studies = _prepare(args, args.studies)
    methods = _methods(args)
    systems = [system_for(study, methods) for study in studies]  # each study factorized once
    frames = [results_frame(system) for system in systems]
    samples = None
    if args.iterations > 0:
        engines = [LinearEngine(study, system=system) for study, system in zip(studies, systems)]
        samples = paired_samples(engines, args.iterations, args.seed, dask=dask)
    result = compare_frames(studies, frames, samples=samples)
    with output_file(inside(out, "comparison.csv")) as path:
        safe_frame(result.differences).to_csv(path, index=False)
    from .interpretation.decision import break_even_table

    even = break_even_table(studies, frames)
    with output_file(inside(out, "break_even.csv")) as path:
        safe_frame(even).to_csv(path, index=False)
    from openpyxl import Workbook

    workbook = Workbook()
    for index, (title, table) in enumerate((("Scores", result.scores), ("Differences", result.differences), ("Pareto", result.pareto))):
        ws = workbook.active if index == 0 else workbook.create_sheet()
        ws.title = title
        write_table(ws, table)
    with output_file(inside(out, "comparison.xlsx")) as path:
        workbook.save(path)
    gwp = result.scores[result.scores["method"].str.contains("GWP100", regex=False)]
    if not args.no_plots:
        from .report import plots
    if len(gwp) and not args.no_plots:
        plots.comparison_bars(gwp.reset_index(drop=True), out, unit=gwp["unit"].iloc[0])
    if len(result.pareto) and not args.no_plots:
        first = result.pareto[(result.pareto["impact"] == result.pareto["impact"].iloc[0])
                              & (result.pareto["quality metric"] == result.pareto["quality metric"].iloc[0])]
        plots.pareto(first, out)
    print(result.differences.to_string(index=False))
    gwp_even = even[even["method"].str.contains("GWP100", regex=False)]
    for row in gwp_even.to_dict("records"):
        print(f"\nGWP100 break-even queries (use = development): {row['A']}: {row['break-even queries A']:.4g}; "
              f"{row['B']}: {row['break-even queries B']:.4g}; crossover of the two: {row['crossover queries']:.4g}")
    print(f"\nwrote {out}")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    import numpy as np

    from .interpretation import parameters
    from .interpretation.sweep import sweep_frame
    from .report.files import safe_frame
    from .report.writing import output_file

    low, high = args.range
    if args.points < 2:
        raise ValueError(f"--points = {args.points}: give at least 2")
    if args.log and (low <= 0 or high <= 0):
        raise ValueError(f"--range = {low:g} {high:g}: a logarithmic sweep needs positive values")
    values = np.logspace(np.log10(low), np.log10(high), args.points) if args.log else np.linspace(low, high, args.points)
    parameter = getattr(parameters, args.parameter)()
    out = args.out.expanduser().resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    (study,) = _prepare(args, [args.study])
    table = sweep_frame(study, parameter, values, methods=_methods(args))
    with output_file(out):
        safe_frame(table).to_csv(out, index=False)
    print(f"{args.points} points of {parameter.name} from {low:g} to {high:g}: wrote {out}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from .report.inventory_excel import export_inventory

    (study,) = _prepare(args, [args.study])
    path = export_inventory(study.database_name, args.out)
    print(f"wrote {path}")
    return 0


# the columns the table format prints for each listing command (csv prints every column)
LISTING_COLUMNS = {
    "regions": ["code", "name", "kind", "latest_year", "gwp_kg_per_kwh", "aliases"],
    "hardware": ["code", "kind", "name", "lifespan_years", "tdp_w", "gwp_kg"],
}


def _listing(args: argparse.Namespace) -> int:
    """``regions`` and ``hardware``: a catalog table, as CSV or as a readable table."""
    from . import listings

    table = getattr(listings, args.command)(args.kind)
    if args.format == "csv":
        table.to_csv(sys.stdout, index=False)
    else:
        print(table[LISTING_COLUMNS[args.command]].to_string(index=False, max_colwidth=48))
    return 0


def _quiet_brightway_feedback() -> None:
    """Brightway's info lines ("Using environment variable ...", geocollection notices) are for
    its own users; the command prints its own summary (``--verbose`` shows them). Must run before
    bw2data is imported."""
    os.environ.setdefault("BRIGHTWAY_NO_STRUCTLOG", "1")
    import logging

    # bw2data sets this logger's level when it creates it; ``disabled`` survives that.
    logging.getLogger("brightway-stdout-feedback").disabled = True


def _log_to_stderr(verbose: bool) -> None:
    """bw_mllca's log on stderr: warnings only, or (``--verbose``) everything, with Brightway's own
    output shown as Brightway prints it (``bw_mllca.brightway_feedback``)."""
    import logging

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if verbose:
        logging.getLogger("bw_mllca.brightway").setLevel(logging.DEBUG)


def _quiet_solver_notice() -> None:
    """bw2calc warns on import when no fast sparse solver (pypardiso, umfpack) is installed. For
    the small systems of a study scipy's solver is as fast (benchmarks/), so the command stays
    quiet about it; ``pip install bw_mllca[fast]`` adds pypardiso for large linked backgrounds."""
    warnings.filterwarnings("ignore", message=r"(?s).*(pypardiso|umfpack|fast sparse solver)", category=UserWarning)


def main(argv: Sequence[str] | None = None) -> int:
    from .cli_errors import EXIT_INTERRUPTED

    try:
        return _main(_parser().parse_args(argv))
    except KeyboardInterrupt:  # Ctrl-C: one line, the shell's status for SIGINT
        print("bw-mllca: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _main(args: argparse.Namespace) -> int:
    from .cli_errors import describe_database_error, describe_os_error, is_database_error
    from .errors import BwMllcaError
    from .faults import arm_from_environment

    arm_from_environment()  # crash tests: BW_MLLCA_KILL_AT names a step to be killed at

    try:
        _use_bw_dir(args.bw_dir)
        _quiet_solver_notice()
        _log_to_stderr(args.verbose)
        if not args.verbose:
            _quiet_brightway_feedback()
        if args.command == "setup":
            from . import setup_project

            print(setup_project(args.project, background=args.background,
                                background_databases=_background_databases(args)).summary())
            return 0
        if args.command == "run":
            return _run(args)
        if args.command == "compare":
            return _compare(args)
        if args.command == "export":
            return _export(args)
        if args.command == "sweep":
            return _sweep(args)
        if args.command == "jobs":
            from .jobs import command as jobs_command

            print("\n".join(jobs_command.run(args)))
            return 0
        if args.command in LISTING_COLUMNS:
            return _listing(args)
    except BwMllcaError as error:
        reason = "; ".join(line.strip(" -") for line in str(error).splitlines())
        print(f"bw-mllca: error: {reason}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"bw-mllca: error: {describe_os_error(error)}", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"bw-mllca: error: {error}", file=sys.stderr)
        return 2
    except MemoryError:
        print("bw-mllca: error: out of memory; try fewer --iterations", file=sys.stderr)
        return 2
    except Exception as error:
        if not is_database_error(error):
            raise
        print(f"bw-mllca: error: {describe_database_error(error)}", file=sys.stderr)
        return 2
    return 1  # pragma: no cover - argparse requires a command


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
