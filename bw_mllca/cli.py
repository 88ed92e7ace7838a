"""The ``bw-mllca`` command: set up a project, run a study, write results."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

DEFAULT_PROJECT = "bw_mllca"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bw-mllca",
        description="Life cycle assessment of machine-learning models on Brightway 2.5.",
    )
    parser.add_argument(
        "--bw-dir",
        type=Path,
        default=None,
        help="Brightway data directory (default: $BRIGHTWAY2_DIR, else Brightway's own default)",
    )
    parser.add_argument("--project", default=DEFAULT_PROJECT, help=f"Brightway project (default: {DEFAULT_PROJECT})")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser(
        "setup",
        help="make the project ready: biosphere3, TRACI/EF/IPCC methods, public-data background",
        description="Set up a Brightway project offline and idempotently.",
    )
    run = commands.add_parser(
        "run",
        help="build a study and write its results (lcia.csv)",
        description="Set up the project if needed, build STUDY's foreground and write DIR/lcia.csv.",
    )
    run.add_argument("study", type=Path, help="study file (TOML or YAML)")
    run.add_argument("--out", type=Path, required=True, help="output folder")
    return parser


def _use_bw_dir(bw_dir: Path | None) -> None:
    """Point Brightway at ``bw_dir`` before bw2data is imported (it reads BRIGHTWAY2_DIR once)."""
    if bw_dir is not None:
        bw_dir = bw_dir.resolve()
        bw_dir.mkdir(parents=True, exist_ok=True)
        os.environ["BRIGHTWAY2_DIR"] = str(bw_dir)


def _print_totals(frame) -> None:
    from .impact.calculate import totals

    table = totals(frame)
    for view in table["view"].unique():
        print(f"\n{view} view, per functional unit:")
        for _, row in table[table["view"] == view].iterrows():
            print(f"  {row['method']:<95} {row['score']:>12.4e} {row['unit']}")


def _run(args: argparse.Namespace) -> int:
    from . import setup_project
    from .impact.calculate import calculate
    from .inventory.foreground import build
    from .report.files import safe_output_dir
    from .scope.study import Study

    study = Study.from_file(args.study)
    for warning in study.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    out = safe_output_dir(args.out)
    report = setup_project(args.project)
    for conflict in report.conflicts:
        print(f"conflict: {conflict}", file=sys.stderr)
    database = build(study)
    frame = calculate(study)
    path = out / "lcia.csv"
    frame.to_csv(path, index=False)
    print(f"study {study.study.name!r}: database {database!r} in project {args.project!r}")
    _print_totals(frame)
    print(f"\nwrote {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _use_bw_dir(args.bw_dir)
    from .errors import BwMllcaError

    try:
        if args.command == "setup":
            from . import setup_project

            print(setup_project(args.project).summary())
            return 0
        if args.command == "run":
            return _run(args)
    except BwMllcaError as error:
        reason = "; ".join(line.strip(" -") for line in str(error).splitlines())
        print(f"bw-mllca: error: {reason}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as error:
        print(f"bw-mllca: error: {error}", file=sys.stderr)
        return 2
    return 1  # pragma: no cover - argparse requires a command


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
