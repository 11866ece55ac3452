"""Operations and groups on the real network (nats-server, the hub, FR, BR and KE): the GS runs an
operation with FR and BR, both report the same arrest, the hub counts it once; a request and a
message to a group reach each member."""

import json

import pytest

from ncbnet.testing.cluster import wait_for

pytestmark = pytest.mark.embedded

GS = (
    "from ncbnet.core.models import User\nfrom ncbnet.cooperation.services import operations as ops\n"
    "gs = User.objects.filter(kind__in=['gs', 'system']).order_by('kind').first()\n"
)
CREATE = (
    "op = ops.create(gs, ops.Draft(code_name='Trigger X', series='Trigger', coordinating_body='GS Firearms',"
    " target_crime='Firearms trafficking', period_start='2026-05-01', period_end='2026-05-31',"
    " participants=['FR', 'BR'], agencies=[{'country': 'BR', 'agency': 'Policia Federal', 'contact': 'pf'}],"
    " commodities=['firearms'], tools=['database searches', 'hits'], state='active'))\nprint(op.pk)\n"
)
TOTALS = (
    "import dataclasses, json\n_op, _found, s = ops.totals(gs, '%s')\n"
    "print(json.dumps({'totals': dataclasses.asdict(s.overall), 'by_commodity': [[c.commodity, c.unit,"
    " str(c.quantity), str(c.value_usd), c.seizures] for c in s.by_commodity]}))\n"
)
CSV = "_op, text = ops.results_csv(gs, '%s')\nprint(text)\n"


def on_hub(cluster, code):
    return cluster.python("hub", GS + code)


def test_the_gs_operation_counts_an_arrest_reported_by_two_countries_once(cluster):
    # The hub takes no API token in the test network: its GS officer works through its services.
    op = {"id": on_hub(cluster, CREATE).strip()}
    for node in ("FR", "BR"):
        wait_for(
            lambda n=node: cluster.count(n, "cooperation_operation") >= 1, 30, f"the operation on {node}"
        )
    assert cluster.count("KE", "cooperation_operation") == 0
    arrest = {
        "kind": "arrest",
        "date": "2026-05-03",
        "person_name": "Marc Dupont",
        "date_of_birth": "1980-04-02",
        "nationality": "FR",
        "notice_subject": True,
        "notice_id": "2026/123",
    }
    cluster.api("FR", "POST", f"/cooperation/operations/{op['id']}/results", arrest)
    cluster.api(
        "BR", "POST", f"/cooperation/operations/{op['id']}/results", {**arrest, "person_name": "DUPONT, Marc"}
    )
    seizure = {
        "kind": "seizure",
        "date": "2026-05-04",
        "commodity": "firearms",
        "quantity": "14",
        "unit": "pieces",
        "value_usd": "21000",
    }
    cluster.api("BR", "POST", f"/cooperation/operations/{op['id']}/results", seizure)
    for node in ("hub", "FR", "BR"):
        wait_for(
            lambda n=node: cluster.count(n, "cooperation_operationresult") == 3, 30, f"results on {node}"
        )
    found = json.loads(on_hub(cluster, TOTALS % op["id"]))
    assert found["totals"]["arrests"] == 1 and found["totals"]["duplicates"] == 1
    assert found["totals"]["notice_subjects"] == 1 and found["totals"]["seizures"] == 1
    assert found["by_commodity"] == [["firearms", "pieces", "14.000", "21000.00", 1]]
    on_fr = cluster.api("FR", "GET", f"/cooperation/operations/{op['id']}/results")
    assert on_fr["totals"] == found["totals"]  # every node counts the same
    csv = on_hub(cluster, CSV % op["id"])
    assert csv.count("Marc") == 2 and "DUPONT, Marc" in csv  # both rows, one marked duplicate


def test_a_request_and_a_message_to_a_group_reach_each_member(cluster):
    cluster.api(
        "FR", "POST", "/cooperation/groups", {"code": "chiefs", "name": "Chiefs", "members": ["BR", "KE"]}
    )
    sent = cluster.api(
        "FR",
        "POST",
        "/cooperation/groups/chiefs/message",
        {"subject": "Chiefs meeting", "body": "Nairobi, June."},
    )
    assert sent["recipients"] == ["BR", "KE"]
    cluster.python(
        "FR",
        "from ncbnet.core.models import User\n"
        "from ncbnet.cooperation.services import requests as r\n"
        "actor = User.objects.filter(kind='system').first()\n"
        "r.send(actor, r.Draft(to=['group:chiefs'], kind='information', title='Associates of Marc Dupont',"
        " details='Known associates?', legal_basis='Art. 3', purpose='Investigation 2026/17'))\n",
    )
    for node in ("BR", "KE"):
        wait_for(lambda n=node: "Chiefs meeting" in cluster.inbox_subjects(n), 30, f"message on {node}")
        wait_for(
            lambda n=node: (
                cluster.count(n, "cooperation_request", "\"group\" = 'chiefs' AND direction = 'in'") == 1
            ),
            30,
            f"request on {node}",
        )
