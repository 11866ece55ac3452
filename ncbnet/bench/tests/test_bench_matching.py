"""`ncbnet bench matching` runs as an officer would run it and reports both halves of the labelled
pairs, the tuning half and the evaluation half, by kind, with the possible-match tier beside the
threshold's figures; every kind of variation the matcher is measured on is in the evaluation half."""

import csv
import json
import os
import subprocess
import sys

import pytest

from ncbnet.bench.matching import HALVES, PAIRS, read, run

pytestmark = pytest.mark.embedded  # a process of its own

# The kinds of variation issue 17 lists (true matches and hard non-matches), and those before it.
KINDS = {
    "typo": True,
    "doubled_or_transposed": True,
    "digits": True,
    "stray_space": True,
    "western_in_script": True,
    "wade_giles": True,
    "korean_romanisation": True,
    "nickname": True,
    "title": True,
    "patronymic_order": False,
    "kanji": False,
    "similar_names": False,
    "near_miss": False,
    "misspelled": True,
    "transliteration": True,
    "cross_script": True,
    "abbreviated": True,
    "reordered": True,
}
FIGURES = {"pairs", "precision", "recall", "f1", "confusion", "possible", "recall_with_possible"}


def test_the_bench_reports_both_halves_by_kind_with_the_possible_tier():
    env = {k: v for k, v in os.environ.items() if not k.startswith("NCBNET_") and k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "ncbnet.cli", "bench", "matching"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["threshold"] > figures["possible_threshold"] > 0
    with PAIRS.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert figures["pairs"] == len(rows)
    for half in HALVES:
        report = figures[half]
        assert set(report) == FIGURES | {"by_kind"}
        assert report["pairs"] == sum(1 for r in rows if r["half"] == half)
        assert sum(report["confusion"].values()) == report["pairs"]
        assert 0 <= report["precision"] <= 1 and 0 <= report["recall"] <= report["recall_with_possible"] <= 1
        assert sum(k["pairs"] for k in report["by_kind"].values()) == report["pairs"]
        for kind in report["by_kind"].values():
            assert set(kind) == FIGURES
    for kind, truth in KINDS.items():
        assert kind in figures["eval"]["by_kind"], kind
        outcome = figures["eval"]["by_kind"][kind]["confusion"]
        assert (outcome["tp"] + outcome["fn"] > 0) if truth else (outcome["tn"] + outcome["fp"] > 0), kind


def test_the_halves_are_stratified_by_kind_and_label():
    rows = read()
    groups: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        groups.setdefault((row["kind"], row["match"]), []).append(row["half"])
    for group, halves in groups.items():
        assert abs(halves.count("tune") - halves.count("eval")) <= 1, group
    assert len({(r["name1"], r["name2"]) for r in rows}) == len(rows)


def test_a_pair_without_a_half_is_refused(tmp_path):
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("name1,name2,match,kind,half\nJan Nowak,Jan Novak,true,typo,both\n", encoding="utf-8")
    with pytest.raises(ValueError, match="half is not one of"):
        run(pairs)
