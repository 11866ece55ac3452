"""`ncbnet cooperation statistics`: the Art. 18 figures an operator reports each year, as the API
gives them, read as an account of the node (audited); bad input is one line and exit code 2."""

from __future__ import annotations

import csv
import io
import json

import pytest

from ncbnet.base.chain import AuditEntry
from ncbnet.cli import main

from .conftest import request_body

pytestmark = pytest.mark.django_db


def test_the_figures_of_a_received_request_as_json_and_csv(deliver, user_factory, capsys):
    user_factory("ncb", "head", username="fr-head")
    body = request_body(urgent=True, urgency_ground="life")
    assert deliver("cooperation.request", body) == "accepted"
    assert main(["cooperation", "statistics", "--user", "fr-head"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["totals"]["received"] == {"urgent": 1, "not_urgent": 0, "total": 1}
    assert AuditEntry.objects.filter(action="cooperation.statistics.read", actor="fr-head").exists()
    assert main(["cooperation", "statistics", "--user", "fr-head", "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    received = [r for r in rows if r["section"] == "totals" and r["measure"] == "received"]
    assert received and received[0]["urgent"] == "1"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--user", "nobody"], "no active account 'nobody'"),
        (["--user", "fr-head", "--from", "2026-13-01"], "from:"),
        (["--user", "fr-head", "--from", "2026-06-01", "--to", "2026-01-01"], "to:"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(user_factory, capsys, args, says):
    user_factory("ncb", "head", username="fr-head")
    assert main(["cooperation", "statistics", *args]) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1
