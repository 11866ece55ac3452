"""Every kind of notice requested from its node through its page (the form built from the kind's
schema); a request sent back for changes edited and resubmitted; a diffusion sent from its page."""

import uuid

import pytest
from django.utils.html import escape

from ncbnet.base import clock
from ncbnet.conftest import sign_in
from ncbnet.network import envelope
from ncbnet.network.models import OutboxEnvelope
from ncbnet.notices import checks, forms, requests
from ncbnet.notices.models import Kind, NoticeRequest
from ncbnet.notices.schemas import SCHEMAS
from ncbnet.notices.tests.test_requests import to_self
from ncbnet.records.models import ReplicaRecord

pytestmark = pytest.mark.django_db

SUBJECT = {"subject__name": "Amira Haddad", "subject__script": "Latn", "subject__birth": "1994-03"}
# What an officer types on each kind's page (beyond the subject where the kind has one).
FILLED: dict[str, dict[str, str | list[str]]] = {
    "red": SUBJECT
    | {
        "purpose": "prosecution",
        "charges": "armed robbery\nkidnapping",
        "law": "Code pénal, art. 311-8",
        "max_penalty_years": "20",
        "warrant__reference": "MA-1",
        "warrant__date": "2026-09-01",
        "warrant__authority": "Juge d'instruction, Lyon",
        "facts__summary": "Robbed a jewellery store at gunpoint with two accomplices.",
        "facts__place": "Lyon",
    },
    "yellow": SUBJECT
    | {
        "missing_since": "2026-10-02",
        "place": "Marseille",
        "circumstances": "Left school and did not come home.",
    },
    "blue": SUBJECT | {"information_sought": "Current address and associates in Europe."},
    "black": {
        "description": "Male, about 40, tattoo of an anchor on the left forearm.",
        "found_on": "2026-11-03",
        "place": "Calais beach",
    },
    "green": SUBJECT | {"activities": "Repeated online fraud against elderly people."},
    "orange": {"threat": "Parcel bombs disguised as wine crates, sent by post."},
    "purple": {"modus_operandi": "Drugs hidden in hollowed-out furniture legs."},
    "silver": SUBJECT | {"assets": "Villas and yachts bought with laundered money."},
    "unsc": SUBJECT | {"regime": "Resolution 1267", "measures": ["asset_freeze", "travel_ban"]},
}


@pytest.fixture
def officer(client, peers, user_factory):
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    return client


def sent(peers, kind):
    e = envelope.decode(bytes(OutboxEnvelope.objects.filter(kind=kind).latest("id").payload))
    return e, envelope.open_body(e, "hub", peers["hub"])


def test_every_field_of_every_kind_has_a_label_and_a_page():
    assert set(FILLED) == set(Kind.values) == set(SCHEMAS)
    for kind in SCHEMAS:
        missing = [p for p in forms.paths(kind) if p not in forms.LABELS]
        assert not missing, f"{kind}: no label for {missing}"
        assert kind in forms.PURPOSES


@pytest.mark.parametrize("kind", list(SCHEMAS))
def test_each_kind_is_requested_through_its_page(officer, peers, kind):
    page = officer.get(f"/notices/request/{kind}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert escape(str(Kind(kind).label)) in html and escape(str(forms.PURPOSES[kind])) in html
    for path in forms.paths(kind):
        assert escape(str(forms.LABELS[path])) in html
    assert officer.post(f"/notices/request/{kind}/", FILLED[kind]).status_code == 302
    r = NoticeRequest.objects.get()
    assert r.kind == kind and r.state == "sent"
    e, body = sent(peers, requests.REQUEST)
    assert e["to"] == ["hub"] and body["kind"] == kind and body["id"] == str(r.pk)
    assert checks.validate(kind, body["data"]) and body["data"] == r.data  # what the hub will check
    if "subject__name" in FILLED[kind]:
        assert body["data"]["subject"]["names"][0]["value"] == "Amira Haddad"
        assert body["data"]["subject"]["date_of_birth"] == {"year": 1994, "month": 3, "day": None}
        assert r.title == "Amira Haddad"


def test_a_page_names_the_field_at_fault(officer):
    refused = officer.post("/notices/request/red/", FILLED["red"] | {"max_penalty_years": "1"})
    assert refused.status_code == 400 and "at least 2 years" in refused.content.decode()
    empty = officer.post("/notices/request/yellow/", {"subject__script": "Latn"})
    html = empty.content.decode()
    assert empty.status_code == 400 and "Choose one of your records or give the person" in html
    assert officer.post("/notices/request/unsc/", FILLED["unsc"] | {"measures": []}).status_code == 400
    assert officer.get("/notices/request/pink/").status_code == 404
    assert not NoticeRequest.objects.exists() and not OutboxEnvelope.objects.exists()


def test_a_subject_is_one_of_the_bureaus_records(officer, peers):
    person = ReplicaRecord.objects.create(
        id=uuid.uuid4(),
        database="persons",
        owner="FR",
        label="Marc Dupont",
        key="marc dupont",
        data={"names": [{"value": "Marc Dupont", "script": "Latn", "kind": "primary"}]},
        version=1,
        handling="H0",
        updated_at=clock.now(),
        retain_until=clock.now(),
        received_at=clock.now(),
    )
    form = {k: v for k, v in FILLED["blue"].items() if not k.startswith("subject")}
    assert (
        officer.post("/notices/request/blue/", form | {"subject__record_id": str(person.pk)}).status_code
        == 302
    )
    _e, body = sent(peers, requests.REQUEST)
    assert body["data"]["subject"] == {"record_id": str(person.pk)}
    assert NoticeRequest.objects.get().title == "Marc Dupont"


def test_the_officer_edits_and_resubmits_after_changes(officer, peers):
    officer.post("/notices/request/yellow/", FILLED["yellow"])
    r = NoticeRequest.objects.get()
    assert officer.get(f"/notices/requests/{r.pk}/edit/").status_code == 200  # not editable yet
    assert "cannot be edited now" in officer.get(f"/notices/requests/{r.pk}/edit/").content.decode()
    status = {
        "id": str(r.pk),
        "state": "changes",
        "title": "Amira Haddad",
        "reason": "Say where she was last seen.",
        "errors": {},
    }
    assert to_self(peers, requests.STATUS, status, 1, "hub") == "accepted"
    listing = officer.get("/notices/requests/").content.decode()
    assert "Say where she was last seen." in listing and f"/notices/requests/{r.pk}/edit/" in listing
    page = officer.get(f"/notices/requests/{r.pk}/edit/").content.decode()
    assert "Say where she was last seen." in page and "Left school and did not come home." in page
    assert 'value="Amira Haddad"' in page and 'value="1994-03"' in page
    edited = FILLED["yellow"] | {"place": "Marseille, near the Vieux-Port"}
    assert officer.post(f"/notices/requests/{r.pk}/edit/", edited).status_code == 302
    e, body = sent(peers, requests.REVISE)
    assert e["to"] == ["hub"] and body["id"] == str(r.pk) and body["by"] == "fr-officer"
    assert body["data"]["place"] == "Marseille, near the Vieux-Port"
    r.refresh_from_db()
    assert r.state == "sent" and r.data["place"] == "Marseille, near the Vieux-Port"
    again = officer.post(f"/notices/requests/{r.pk}/edit/", edited)  # no longer waiting for changes
    assert again.status_code == 200 and OutboxEnvelope.objects.filter(kind=requests.REVISE).count() == 1


def test_a_diffusion_is_sent_from_its_page_with_the_gs_in_copy(officer, peers):
    page = officer.get("/notices/diffuse/blue/").content.decode()
    assert "To the countries" in page and "KE" in page and 'value="FR"' not in page
    form = FILLED["blue"] | {"recipients": ["KE", "BR"], "subject__nationalities": "dz, fr"}
    assert officer.post("/notices/diffuse/blue/", form).status_code == 302
    e = envelope.decode(bytes(OutboxEnvelope.objects.get(kind=requests.DIFFUSION).payload))
    assert sorted(e["to"]) == ["BR", "KE", "hub"]
    body = envelope.open_body(e, "KE", peers["KE"])
    assert body["recipients"] == ["BR", "KE"] and body["kind"] == "blue"
    assert body["data"]["subject"]["nationalities"] == ["DZ", "FR"] and body["title"] == "Amira Haddad"
    assert officer.post("/notices/diffuse/blue/", FILLED["blue"]).status_code == 400  # no country chosen
