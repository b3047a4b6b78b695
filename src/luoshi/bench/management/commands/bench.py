"""``luoshi bench generate|load|run|drafting``: the province-scale benchmark (docs/performance.md)."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from luoshi.bench import dataset, generate


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"a date looks like 2022-09-30, not {text!r}") from exc


class Command(BaseCommand):
    help = (
        "The benchmark: `generate` writes a dataset (tiny, city or province) to a folder, `load` puts any "
        "dataset in that format into the configured database in bulk, `run` measures every hot path "
        "through the app and as hand-written SQL (the floor), `drafting` scores the drafting help."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{generate,load,run,drafting}")
        gen = actions.add_parser("generate", help="Write a synthetic dataset in the benchmark format.")
        gen.add_argument("--scale", choices=list(generate.SCALES), default="tiny")
        gen.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
        gen.add_argument("--today", type=_date, default=generate.DEFAULT_TODAY, help="The frozen date.")
        gen.add_argument("--out", type=Path, required=True, help="The folder to write (created if needed).")

        load = actions.add_parser("load", help="Validate a dataset and load it into the database in bulk.")
        load.add_argument("folder", type=Path)
        load.add_argument("--check-only", action="store_true", help="Validate only; load nothing.")
        load.add_argument("--no-search", action="store_true", help="Skip rebuilding the search index.")

        run = actions.add_parser("run", help="Measure the operations O1–O8 against their SQL floor.")
        run.add_argument("--ops", default="all", help="Comma-separated, e.g. O1,O5,O8 (default: all).")
        run.add_argument("--json", dest="json_file", type=Path, help="Also write the results here as JSON.")
        run.add_argument("--repeat", type=int, default=30, help="Timed repetitions per read (default 30).")
        run.add_argument("--today", type=_date, help="The frozen date (default: the loaded dataset's).")

        drafting = actions.add_parser("drafting", help="Score the drafting help on its labelled corpus.")
        drafting.add_argument("--json", dest="json_file", type=Path)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, f"_{action}")(**options)

    def _generate(self, *, scale: str, seed: int, today: date, out: Path, **_: Any) -> None:
        started = time.perf_counter()
        counts = generate.generate(scale=scale, out=out, seed=seed, today=today)
        rows = ", ".join(f"{name} {count:,}" for name, count in counts.items())
        self.stdout.write(
            f"{scale} (seed {seed}, today {today}) → {out}: {rows} in {time.perf_counter() - started:.1f} s"
        )

    def _load(self, *, folder: Path, check_only: bool, no_search: bool, **_: Any) -> None:
        from luoshi.bench import load

        try:
            if check_only:
                summary = dataset.validate(folder)
                rows = ", ".join(f"{name} {count:,}" for name, count in summary.counts.items())
                self.stdout.write(self.style.SUCCESS(f"{folder}: valid ({rows})"))
                return
            result = load.load(folder, progress=self.stdout.write, index=not no_search)
        except dataset.DatasetError as exc:
            raise CommandError(str(exc)) from None
        steps = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in result.seconds.items())
        self.stdout.write(self.style.SUCCESS(f"Loaded {result.name} (today {result.today}): {steps}"))

    def _run(self, *, ops: str, json_file: Path | None, repeat: int, today: date | None, **_: Any) -> None:
        from luoshi.bench import run

        chosen = run.parse_ops(ops)
        report = run.run(ops=chosen, repeat=repeat, today=today, say=self.stdout.write)
        self.stdout.write(run.format_table(report))
        if json_file is not None:
            json_file.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            self.stdout.write(f"Results written to {json_file}")

    def _drafting(self, *, json_file: Path | None, **_: Any) -> None:
        try:
            from luoshi.drafting import quality
        except ModuleNotFoundError as exc:
            if exc.name not in {"luoshi.drafting", "luoshi.drafting.quality"}:
                raise
            raise CommandError(
                "Not available yet: luoshi.drafting.quality (the drafting help's evaluation) is not in "
                "this build."
            ) from None
        result = quality.evaluate()
        for key, value in result.items():
            if isinstance(value, float):
                self.stdout.write(f"{key}: {value:.1%}" if value <= 1 else f"{key}: {value:.2f}")
            elif isinstance(value, int | str):
                self.stdout.write(f"{key}: {value}")
        if json_file is not None:
            text = json.dumps(result, ensure_ascii=False, indent=2, default=str)
            json_file.write_text(text + "\n", encoding="utf-8")
            self.stdout.write(f"Details written to {json_file}")
