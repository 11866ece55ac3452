"""`ncbnet bench matching`: precision, recall and F1 of the name matcher at its default threshold
on the labelled hard pairs kept in the repository (`screening/data/name_pairs.csv`); the
comparisons per second, each pair compared for the first time, and apart from them the seconds
the name data takes to load."""

from __future__ import annotations

import csv
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

from ncbnet.screening import names

PAIRS = Path(__file__).resolve().parents[1] / "screening" / "data" / "name_pairs.csv"


def run(path: Path = PAIRS) -> dict[str, Any]:
    counts: Counter[str] = Counter()
    by_kind: dict[str, Counter[str]] = {}
    start = time.perf_counter()
    names.warm()  # the name data, loaded once per process: timed apart from the comparisons
    load = time.perf_counter() - start
    start = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        truth = row["match"].strip().lower() == "true"
        guess = names.compare(row["name1"], row["name2"]).match
        outcome = ("tp" if guess else "fn") if truth else ("fp" if guess else "tn")
        counts[outcome] += 1
        by_kind.setdefault(row.get("kind", ""), Counter())[outcome] += 1
    elapsed = time.perf_counter() - start
    precision = counts["tp"] / max(counts["tp"] + counts["fp"], 1)
    recall = counts["tp"] / max(counts["tp"] + counts["fn"], 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    return {
        "pairs": len(rows),
        "threshold": names.THRESHOLD,
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(f1, 3),
        "confusion": dict(counts),
        "by_kind": {k: dict(v) for k, v in sorted(by_kind.items())},
        "pairs_per_s": round(len(rows) / elapsed, 1),
        "name_data_load_s": round(load, 1),
    }


def main() -> None:
    print(json.dumps(run(), ensure_ascii=False), flush=True)
