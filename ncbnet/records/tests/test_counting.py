"""Records count their events in the transaction that writes them (`records.tallies`): a
contribution alone, in a bulk import's batch or in the demo seed's batches (one count a batch),
a withdrawal; a transaction that fails leaves no figure."""

import json
import uuid

import pytest
from django.db import transaction

from ncbnet.analytics.tests.figures import rows, sends
from ncbnet.base.actor import Actor
from ncbnet.records import bulk
from ncbnet.records import services as records
from ncbnet.records.tests.test_imports import batch, doc, to_hub

pytestmark = pytest.mark.django_db


def document(number, owner="KE", code="0502"):
    return {**doc(int(number[-7:]), owner), **({"iccs": code} if code else {})}


def contributed(owner, restricted=False, iccs="0502", n=1):
    return {
        "event": "record.contributed",
        "country": owner,
        "owner": owner,
        "database": "documents",
        "kind": "",
        "iccs": iccs,
        "outcome": "",
        "restricted": restricted,
        "n": n,
        "late": 0,
        "seconds": 0.0,
    }


def test_a_contribution_counts_by_owner_database_category_and_restriction(hub):
    records.contribute(Actor("ke-officer", "KE"), "documents", document("KE0000001"))
    records.contribute(Actor("ke-officer", "KE"), "documents", document("KE0000002"))
    listed = {"access": "allow", "countries": ["FR"]}
    records.contribute(Actor("ke-officer", "KE"), "documents", document("KE0000003", code=""), listed)
    assert rows() == [contributed("KE", iccs="", restricted=True), contributed("KE", n=2)]


def test_a_withdrawal_counts_once(hub):
    record = records.contribute(Actor("br-officer", "BR"), "documents", document("BR0000001", "BR"))
    records.withdraw(Actor("br-officer", "BR"), str(record.pk), "found")
    [withdrawn] = rows("record.withdrawn")
    assert withdrawn == {**contributed("BR"), "event": "record.withdrawn"}


def test_a_failed_transaction_leaves_no_figure(hub):
    with pytest.raises(RuntimeError), transaction.atomic():
        records.contribute(Actor("ke-officer", "KE"), "documents", document("KE0000001"))
        raise RuntimeError("the caller's transaction fails")
    assert rows() == []


def test_a_bulk_imports_batch_counts_its_accepted_rows_in_one_send(peers, hub):
    bad = {"number": "x"}
    body = batch([(1, doc(1)), (2, doc(2)), (3, bad)], restriction={"access": "deny", "countries": ["FR"]})
    with sends() as sent:
        assert to_hub(peers, body, sender="BR") == "accepted"
    assert [[(c.event, c.n) for c in counts] for counts in sent] == [[("record.contributed", 2)]]
    assert rows() == [contributed("BR", restricted=True, iccs="", n=2)]


def test_the_demo_seed_counts_once_a_batch(hub):
    with sends() as sent:
        bulk.seed(documents=30, batch=10)
    assert len(sent) == 3
    assert sum(f["n"] for f in rows("record.contributed")) == 30
    assert {f["owner"] for f in rows()} <= set(bulk.OWNERS)


# --- on the contributing bureau's node: its own figures ------------------------------------------


def test_the_node_counts_its_contribution_once_the_hub_accepts_it(peers, user_factory):
    from ncbnet.conftest import arriving
    from ncbnet.network import delivery
    from ncbnet.records import contribution

    officer = user_factory("ncb", "officer")
    listed = {"access": "allow", "countries": ["KE"]}
    accepted = contribution.submit(officer, "documents", document("FR0000001", "FR"), listed)
    refused = contribution.submit(officer, "documents", document("FR0000002", "FR"))
    outcomes = [
        {"contribution": str(accepted.pk), "status": "accepted", "record": str(uuid.uuid4())},
        {"contribution": str(refused.pk), "status": "refused", "errors": {"number": ["taken"]}},
    ]
    for i, body in enumerate([*outcomes, outcomes[0]], 1):  # the first answer arrives twice
        assert delivery.accept(arriving(peers, contribution.OUTCOME, body, sender="hub"), i) == "accepted"
    assert rows() == [contributed("FR", restricted=True)]


def test_the_node_counts_a_bulk_contributions_accepted_rows_when_the_answer_arrives(
    peers, user_factory, settings
):
    import io

    from ncbnet.conftest import arriving
    from ncbnet.network import delivery, envelope
    from ncbnet.network.models import OutboxEnvelope
    from ncbnet.records import imports
    from ncbnet.records.tests.test_imports import answers

    officer = user_factory("ncb", "officer", username="fr-officer")
    docs = [{**doc(i, "FR"), **({"iccs": "0502"} if i < 2 else {})} for i in range(3)]
    lines = "".join(json.dumps(d) + "\n" for d in docs)
    imports.submit(officer, "documents", "docs.jsonl", io.BytesIO(lines.encode()))
    imports.send_pending()
    [e] = [envelope.decode(bytes(o.payload)) for o in OutboxEnvelope.objects.filter(kind=imports.BATCH)]
    settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "hub", None
    body = envelope.open_body(e, "hub", peers["hub"])
    assert delivery.accept(arriving(peers, imports.BATCH, body, sender="FR"), 1) == "accepted"
    at_the_hub = rows()
    assert [(f["iccs"], f["n"]) for f in at_the_hub] == [("", 1), ("0502", 2)]
    [answer] = answers(peers, "FR")
    settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "ncb", "FR"
    with sends() as sent:
        for i in (2, 3):  # the answer arrives twice: counted once
            assert delivery.accept(arriving(peers, imports.OUTCOME, answer, sender="hub"), i) == "accepted"
    assert len(sent) == 1
    assert [(f["iccs"], f["n"]) for f in rows()] == [("", 2), ("0502", 4)]  # the hub's and the node's
