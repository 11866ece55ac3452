"""`ncbnet bench matching`: precision, recall and F1 of the name matcher on the labelled hard pairs
kept in the repository (`screening/data/name_pairs.csv`), for each half of the set apart: the
**tuning** half, the one weights and rules may be tuned on, and the **evaluation** half, kept for
measuring only (the column `half`, fixed once: within each kind and label, the pairs sorted by a
hash of their names, taken alternately). Each half is reported as a whole and by kind of
variation, at the match threshold (`names.THRESHOLD`); the possible-match tier (`names.POSSIBLE`)
is reported beside it: how many true and how many false pairs fall between the two thresholds
(shown to the officer as possible matches, never reported as hits), and the recall if the officer
looked at them all. Also the comparisons per second, each pair compared for the first time, and
apart from them the seconds the name data takes to load."""

from __future__ import annotations

import csv
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

from ncbnet.screening import names

PAIRS = Path(__file__).resolve().parents[1] / "screening" / "data" / "name_pairs.csv"
HALVES = ("tune", "eval")


def _figures(counts: Counter[str]) -> dict[str, Any]:
    precision = counts["tp"] / max(counts["tp"] + counts["fp"], 1)
    recall = counts["tp"] / max(counts["tp"] + counts["fn"], 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    positives = counts["tp"] + counts["fn"]
    return {
        "pairs": sum(counts[k] for k in ("tp", "fp", "tn", "fn")),
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(f1, 3),
        "confusion": {k: counts[k] for k in ("tp", "fp", "tn", "fn")},
        # Pairs below the threshold and at or above `POSSIBLE`: shown as possible matches.
        "possible": {"true": counts["possible_true"], "false": counts["possible_false"]},
        "recall_with_possible": round((counts["tp"] + counts["possible_true"]) / max(positives, 1), 3),
    }


def read(path: Path = PAIRS) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        if row.get("half") not in HALVES:
            raise ValueError(f"pair {row['name1']!r} / {row['name2']!r}: half is not one of {HALVES}")
    return rows


def run(path: Path = PAIRS) -> dict[str, Any]:
    start = time.perf_counter()
    names.warm()  # the name data, loaded once per process: timed apart from the comparisons
    load = time.perf_counter() - start
    rows = read(path)
    counts: dict[str, Counter[str]] = {half: Counter() for half in HALVES}
    by_kind: dict[str, dict[str, Counter[str]]] = {half: {} for half in HALVES}
    start = time.perf_counter()
    for row in rows:
        truth = row["match"].strip().lower() == "true"
        result = names.compare(row["name1"], row["name2"])
        outcome = ("tp" if result.match else "fn") if truth else ("fp" if result.match else "tn")
        found = [outcome]
        if result.possible:
            found.append("possible_true" if truth else "possible_false")
        for counter in (counts[row["half"]], by_kind[row["half"]].setdefault(row["kind"], Counter())):
            counter.update(found)
    elapsed = time.perf_counter() - start
    return {
        "pairs": len(rows),
        "threshold": names.THRESHOLD,
        "possible_threshold": names.POSSIBLE,
        **{
            half: {
                **_figures(counts[half]),
                "by_kind": {k: _figures(v) for k, v in sorted(by_kind[half].items())},
            }
            for half in HALVES
        },
        "pairs_per_s": round(len(rows) / elapsed, 1),
        "name_data_load_s": round(load, 1),
    }


def main() -> None:
    print(json.dumps(run(), ensure_ascii=False), flush=True)
