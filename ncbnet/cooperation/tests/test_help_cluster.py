"""On real nodes: France's police ask their NCB for international help; the NCB's officer sends it
to Brazil and Kenya; Brazil answers under H1 and Kenya under H2; the police see Brazil's answer
and not Kenya's text; and the Art. 18 figures of each bureau match the requests made."""

import json

import pytest

from ncbnet.testing.cluster import wait_for

pytestmark = pytest.mark.embedded

SUBMIT = """
from ncbnet.core.models import User
from ncbnet.cooperation.services import help
police = User.objects.get(username="fr-police")
h = help.submit(police, help.Draft(
    title="Who drives the lorry KBZ 123A?",
    details="Seen three times at the Calais port with stolen cars.",
    purpose="Investigation of an organised car-theft ring (parquet de Lille 2026/881)",
    legal_basis="Code de procédure pénale, art. 694",
    countries=["BR", "KE"],
    subjects=[{"type": "object", "name": "KBZ 123A", "description": "Scania lorry"}],
))
officer = User.objects.get(username="fr-officer")
help.send(officer, h.pk, help.Review())
print(h.pk)
"""

OUTCOMES = """
from ncbnet.core.models import User
from ncbnet.cooperation.models import HelpRequest
from ncbnet.cooperation.services import help
import json
police = User.objects.get(username="fr-police")
h = HelpRequest.objects.get(pk="{help_id}")
print(json.dumps([
    {{"country": o.country, "state": o.state, "answers": [[a.withheld, a.text] for a in o.answers]}}
    for o in help.outcomes(police, h)
]))
"""


def request_on(cluster, node, help_title):
    rows = cluster.query(node, "SELECT id FROM cooperation_request WHERE title = ?", (help_title,))
    return rows[0][0] if rows else None


def test_a_help_request_sent_abroad_and_its_answers_shown_as_their_handling_allows(cluster):
    title = "Who drives the lorry KBZ 123A?"
    help_id = cluster.python("FR", SUBMIT).strip()
    for node, handling, text in (
        ("BR", "H1", "Registered to Transportes Lima Ltda, São Paulo."),
        ("KE", "H2", "Driver known to the DCI: Peter Mwangi, under surveillance."),
    ):
        raw = wait_for(lambda node=node: request_on(cluster, node, title), 60, f"the request on {node}")
        request_id = "-".join([raw[:8], raw[8:12], raw[12:16], raw[16:20], raw[20:]])
        cluster.api(
            node, "POST", f"/cooperation/requests/{request_id}/answer", {"text": text, "handling": handling}
        )

    def answered():
        found = json.loads(cluster.python("FR", OUTCOMES.format(help_id=help_id)))
        return found if all(o["state"] == "answered" for o in found) else None

    outcomes = {o["country"]: o for o in wait_for(answered, 60, "both answers in FR")}
    assert outcomes["BR"]["answers"] == [[False, "Registered to Transportes Lima Ltda, São Paulo."]]
    assert outcomes["KE"]["answers"] == [[True, ""]]  # H2: withheld from the agency
    # The NCB's officer reads Kenya's answer in full.
    fr = cluster.api("FR", "GET", "/cooperation/requests?box=out")
    assert {r["requested"] for r in fr["results"] if r["title"] == title} == {"BR", "KE"}

    # This module's network made these two requests and no other.
    sent = cluster.api("FR", "GET", "/cooperation/statistics")
    assert sent["totals"]["sent"] == {"urgent": 0, "not_urgent": 2, "total": 2}
    assert sorted(c["country"] for c in sent["countries"]) == ["BR", "KE"]
    for node in ("BR", "KE"):
        received = cluster.api(node, "GET", "/cooperation/statistics")
        assert received["totals"]["received"]["total"] == 1
        assert received["totals"]["answered_in_time"]["total"] == 1
        assert received["totals"]["answered_late"]["total"] == 0
        assert [c["country"] for c in received["countries"]] == ["FR"]
