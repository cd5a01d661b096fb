"""Benchmark: Vietnamese search — quality, query latency, index build time and memory.

    .venv/bin/python -m bench.search [--eval-dir ../shared/eval] [--rounds 3] [--no-synthetic]
                                     [--before OLD_CATALOGUE]

On the bundled catalogue, in a fresh SQLite database:

- quality of what the bot shows (top-1, R@3, R@5, MRR@10 over the answerable lines; nothing counts
  as shown when it answers "không tìm thấy"; ``no_match_ok`` / ``no_match_wrong`` as in
  index.evaluate; how many of its cards are right): each ``*_dev.jsonl`` of the eval folder per fold
  (index.learning.fold_of; the shipped model is trained on both folds, and index/model.json holds
  each fold's figures from the model trained on the other), and each file of bench/queries, which
  no training ever reads; beside the FTS5 and whoosh StandardAnalyzer baselines;
- latency per query, in process, over all dev queries: the first pass (terms met for the first time)
  and warm passes (``--rounds``), p50 / p95 / p99, beside FTS5 in the same run;
- index build time and peak memory (max RSS of a fresh process that only builds) for the catalogue
  and for a synthetic catalogue three times as large (each record twice more, with other codes and
  with names, results and documents recombined from other records, so the vocabulary grows too);
- with ``--before FILE``, the quality of the same search over another catalogue file (the previous
  bundled one, say), beside the bundled catalogue's, in the same run.
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing
import random
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from index.baselines import Ranker, build_baselines
from index.building import build_index
from index.decision import Answer
from index.evaluate import DEPTH, METRICS, Judgement, evaluate_ranker, metrics, read_judgements
from index.learning import fold_of
from index.service import SearchService
from knowledge.catalogue import BUNDLED_CATALOGUE, Catalogue, apply_catalogue, read_catalogue
from knowledge.db import create_schema, make_engine, make_sessionmaker

DEFAULT_EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
# labelled queries written apart from the dev sets (quality only: latency stays on the dev queries)
EXTRA_QUERIES = Path(__file__).resolve().parent / "queries"


def synthetic(catalogue: Catalogue, factor: int, seed: int = 7) -> Catalogue:
    """The catalogue ``factor`` times as large: copies with new codes and recombined texts."""
    rng = random.Random(seed)
    records = list(catalogue.procedures)
    out = list(records)
    for copy in range(1, factor):
        for record in records:
            other, third = rng.choice(records), rng.choice(records)
            words = record.name.split()
            cut = rng.randrange(1, len(words) + 1)
            out.append(
                record.model_copy(
                    update={
                        "code": f"{record.code}.s{copy}",
                        "name": " ".join(words[:cut] + other.name.split()[cut:]) or record.name,
                        "result": third.result,
                        "documents": other.documents,
                        "related": [],
                    }
                )
            )
    return Catalogue(f"{catalogue.version}-x{factor}", f"{catalogue.checksum}-x{factor}", out)


def _database(folder: Path, catalogue: Catalogue) -> str:
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    engine = make_engine(url)
    create_schema(engine)
    with make_sessionmaker(engine).begin() as session:
        apply_catalogue(session, catalogue, "bench")
    engine.dispose()
    return url


def _build_in_child(
    url: str, index_dir: str, queue: multiprocessing.Queue[tuple[float, float, float]]
) -> None:
    engine = make_engine(url)
    started, cpu = time.perf_counter(), time.process_time()
    build_index(make_sessionmaker(engine), Path(index_dir))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    queue.put((seconds, cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def measure_build(url: str, index_dir: Path) -> tuple[float, float, float]:
    """(seconds, CPU seconds, peak MB) of a full build in a fresh process. On a busy machine the CPU
    time says more than the wall-clock time (the build runs on one core)."""
    context = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue[tuple[float, float, float]] = context.Queue()
    process = context.Process(target=_build_in_child, args=(url, str(index_dir), queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    return f"{at(0.5):.1f} / {at(0.95):.1f} / {at(0.99):.1f}"


def timings(
    run: Callable[[str], object], queries: list[str], clock: Callable[[], float] = time.perf_counter
) -> list[float]:
    """Milliseconds per query, wall-clock or (``time.process_time``) CPU."""
    samples = []
    for query in queries:
        started = clock()
        run(query)
        samples.append((clock() - started) * 1000)
    return samples


def quality_row(name: str, service: SearchService, items: list[Judgement]) -> str:
    """A table row: the metrics of what the bot shows (nothing when it answers "không tìm thấy"),
    and how often a card it shows is right."""
    cards = right = 0
    rankings = []
    for judgement in items:
        result = service.search(judgement.query, top=DEPTH)
        codes = [hit.code for hit in result.hits]
        rankings.append((codes, judgement.relevant))
        if result.answer is Answer.CARD and judgement.relevant:
            cards += 1
            right += codes[0] in judgement.relevant
    figures = metrics(rankings)

    def cell(value: float | None) -> str:
        return "–" if value is None else f"{value:.3f}"

    cells = " | ".join(cell(figures[m]) if figures["n"] else "–" for m in METRICS)
    return (
        f"| {name} | {len(items)} | {cells} | {cell(figures['no_match_ok'])} | "
        f"{cell(figures['no_match_wrong']) if figures['n'] else '–'} | {right}/{cards} |"
    )


def _codes(service: SearchService, query: str) -> list[str]:
    return [hit.code for hit in service.search(query, top=DEPTH).hits]


def _top(ranker: Ranker, query: str) -> list[str]:
    return ranker(query, DEPTH)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL)
    parser.add_argument("--rounds", type=int, default=3, help="warm passes over the dev queries")
    parser.add_argument("--no-synthetic", action="store_true", help="skip the 3× catalogue build")
    parser.add_argument("--before", type=Path, help="another catalogue file: its quality beside this one's")
    args = parser.parse_args()

    files = sorted(args.eval_dir.glob("*_dev.jsonl"))
    judgements: dict[str, list[Judgement]] = {f.stem: read_judgements(f) for f in files}
    catalogue = read_catalogue(BUNDLED_CATALOGUE)
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        folder = Path(tmp)
        url = _database(folder, catalogue)
        seconds, cpu, peak = measure_build(url, folder / "index")
        print(f"## Search (catalogue {catalogue.version}, {len(catalogue.procedures)} procedures)\n")
        print("| index build | procedures | seconds | CPU seconds | peak RSS MB |\n|---|---:|---:|---:|---:|")
        print(f"| bundled catalogue | {len(catalogue.procedures)} | {seconds:.1f} | {cpu:.1f} | {peak:.0f} |")
        if not args.no_synthetic:
            large = synthetic(catalogue, 3)
            (folder / "large").mkdir()
            large_url = _database(folder / "large", large)
            seconds, cpu, peak = measure_build(large_url, folder / "large" / "index")
            print(f"| synthetic ×3 | {len(large.procedures)} | {seconds:.1f} | {cpu:.1f} | {peak:.0f} |")

        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        service = SearchService(sessions, folder / "index")
        started = time.perf_counter()
        service.ensure_index()
        print(f"\nopening the built index: {time.perf_counter() - started:.2f} s")
        baselines = build_baselines(sessions)

        if not judgements:
            print(f"\n(no *_dev.jsonl in {args.eval_dir}: quality and latency skipped)")
            return 0
        queries = [j.query for items in judgements.values() for j in items]
        first = timings(lambda q: service.search(q, top=DEPTH), queries)
        warm: list[float] = []
        warm_cpu: list[float] = []
        fts: list[float] = []
        for _ in range(max(args.rounds, 1)):
            warm += timings(lambda q: service.search(q, top=DEPTH), queries)
            warm_cpu += timings(lambda q: service.search(q, top=DEPTH), queries, time.process_time)
            fts += timings(lambda q: baselines["fts5"](q, DEPTH), queries)
        print(f"\n| latency, {len(queries)} dev queries | p50 / p95 / p99 ms |\n|---|---|")
        print(f"| tthc-bot, first pass | {percentiles(first)} |")
        print(f"| tthc-bot, warm ({args.rounds} passes) | {percentiles(warm)} |")
        print(f"| tthc-bot, warm, CPU time ({args.rounds} passes) | {percentiles(warm_cpu)} |")
        print(f"| FTS5 baseline, same run | {percentiles(fts)} |")

        print(
            "\n| quality (shipped model) | n | "
            + " | ".join(METRICS)
            + " | no_match_ok | no_match_wrong | cards right |"
            "\n|---|---:|" + "---:|" * (len(METRICS) + 3)
        )
        extra = {f.stem: read_judgements(f) for f in sorted(EXTRA_QUERIES.glob("*.jsonl"))}
        rows: list[tuple[str, list[Judgement]]] = []
        for name, items in judgements.items():  # trained on both folds: see index/model.json for out-of-fold
            rows += [
                (f"{name} fold {k} (trained on)", [j for j in items if fold_of(j.query) == k]) for k in (0, 1)
            ]
        rows += [(f"{name} (never trained on)", items) for name, items in extra.items()]
        for name, items in rows:
            print(quality_row(name, service, items))
        print(
            "\n| baselines, same run | n | " + " | ".join(METRICS) + " |\n|---|---:|" + "---:|" * len(METRICS)
        )
        for name, items in {**judgements, **extra}.items():
            if not any(j.relevant for j in items):
                continue
            for ranker_name, ranker in baselines.items():
                figures = evaluate_ranker(functools.partial(_top, ranker), items)
                cells = " | ".join(f"{figures[m]:.3f}" for m in METRICS)
                print(f"| {name} {ranker_name} | {figures['n']} | {cells} |")
        sets = {**judgements, **extra}
        if args.before:
            compare(args.before, folder / "before", service, sets)
        engine.dispose()
    return 0


def compare(path: Path, folder: Path, after: SearchService, sets: dict[str, list[Judgement]]) -> None:
    """The search's quality over the catalogue at ``path`` → over the bundled one, set by set."""
    before_catalogue = read_catalogue(path)
    folder.mkdir()
    engine = make_engine(_database(folder, before_catalogue))
    before = SearchService(make_sessionmaker(engine), folder / "index")
    before.ensure_index()
    print(
        f"\n| before ({len(before_catalogue.procedures)} procedures) → after | "
        + " | ".join(METRICS)
        + " |\n|---|"
        + "---|" * len(METRICS)
    )
    for name, items in sets.items():
        figures = [evaluate_ranker(functools.partial(_codes, service), items) for service in (before, after)]
        cells = " | ".join(f"{figures[0][m]:.3f} → {figures[1][m]:.3f}" for m in METRICS)
        print(f"| {name} (n={figures[1]['n']}) | {cells} |")
    engine.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
