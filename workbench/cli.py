"""The ``workbench`` console script.

``workbench worker STUDY`` joins a study defined in a Python file or module and runs trials;
``workbench studies`` lists the studies and runs in a store.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from workbench import store
from workbench.exceptions import WorkbenchError
from workbench.store import shared


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench", description="Workbench: tuning workers and the run/study store."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    worker = commands.add_parser(
        "worker",
        help="join a study and run trials until told to stop",
        description=(
            "Import STUDY (path/to/file.py[:name] or package.module[:name]), which defines a "
            "workbench.tuning.Tuner (default name: tuner) and the data X (and y), then run "
            "trials of its study. SIGTERM finishes the running trial and stops; Ctrl-C stops "
            "at once, marking the running trial failed."
        ),
    )
    worker.add_argument("study", metavar="STUDY", help="file.py[:name] or module[:name]")
    worker.add_argument(
        "--n-trials", type=int, default=None, help="stop once the study holds this many trials"
    )
    worker.add_argument("--timeout", type=float, default=None, help="stop after SECONDS")
    worker.add_argument("--storage", default=None, help="store URL or journal path to use")
    worker.add_argument("--study-name", default=None, help="override the tuner's study name")

    studies = commands.add_parser(
        "studies",
        help="list the studies and runs in a store, with the disk use of kept pipelines",
    )
    studies.add_argument(
        "--storage",
        default=None,
        help=f"store URL or journal path (default: ${shared.ENV_VAR}, else "
        f"{shared.DEFAULT_DIRECTORY}/{shared.JOURNAL_NAME})",
    )
    studies.add_argument("--json", action="store_true", help="print JSON lines")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``workbench`` console script; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "worker":
            return _worker(args)
        return _studies(args)
    except WorkbenchError as error:
        print(f"workbench: error: {error}", file=sys.stderr)
        return 2


def _worker(args: argparse.Namespace) -> int:
    import optuna

    from workbench.tuning import load_target, run_worker

    tuner, X, y = load_target(args.study)
    if args.storage is not None:
        tuner.storage = args.storage
    if args.study_name is not None:
        tuner.study_name = args.study_name
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        numbers = run_worker(tuner, X, y, n_trials=args.n_trials, timeout=args.timeout)
        status = 0
    except KeyboardInterrupt:
        numbers = list(tuner.trials_run_)
        status = 130
    print(
        json.dumps(
            {
                "study": tuner.study_name,
                "storage": shared.describe(tuner.storage),
                "trials": numbers,
                "interrupted": status == 130,
            }
        ),
        flush=True,
    )
    return status


def _studies(args: argparse.Namespace) -> int:
    opened = store.open_store(args.storage, readonly=True)
    frame = opened.summaries().rename(columns={"n_trials": "trials"})
    rows = [
        {key: shared.to_json_value(value) for key, value in row.items()}
        for row in frame.astype(object).where(frame.notna(), None).to_dict("records")
    ]
    for row in rows:  # what the study's kept pipelines take in their artifact store
        kept = opened.kept(row["name"]) if row["kind"] == "study" else {}
        row["kept"] = len(kept)
        row["kept_bytes"] = sum(int(info.get("bytes") or 0) for info in kept.values())
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return 0
    if not rows:
        print(f"No studies or runs in {opened.name}.")
        return 0
    header: tuple[str, ...] = (
        "name",
        "kind",
        "direction",
        "trials",
        "complete",
        "pruned",
        "fail",
        "best_value",
        "kept",
    )
    table = [header] + [tuple(_cell(row, key) for key in header) for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    for line in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
    total = sum(row["kept_bytes"] for row in rows)
    if total:
        count = sum(row["kept"] for row in rows)
        print(f"Kept pipelines: {count}, {shared.format_bytes(total)} in all.")
    return 0


def _cell(row: Mapping[Any, Any], key: str) -> str:
    value = row[key]
    if key == "kept":
        return f"{value} ({shared.format_bytes(int(row['kept_bytes']))})" if value else "-"
    if value is None:
        return ""
    return f"{value:.6g}" if key == "best_value" else str(value)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
