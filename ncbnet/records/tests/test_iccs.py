"""A record's crime category (a level-2 ICCS code): chosen in the contribution and edit forms,
given through the API, checked at the node and again at the hub (which keeps it as a column for
the figures), carried to the replicas in the record's data. Whatever is not a level-2 code is
refused, with a message naming the field; data without a category stays as it was."""

import io

import pytest
from django.core.exceptions import ValidationError

from ncbnet.base.actor import Actor
from ncbnet.base.chain import AuditEntry
from ncbnet.conftest import arriving, sign_in
from ncbnet.network import delivery, envelope
from ncbnet.network.models import OutboxEnvelope
from ncbnet.records import contribution, imports, replication, services
from ncbnet.records.models import Contribution, Record, RecordVersion, ReplicaRecord
from ncbnet.records.tests.test_lifecycle_pages import DOC, PERSON, RID, held, last_change, replica_body

pytestmark = pytest.mark.django_db
FR = Actor("fr-officer", "FR")
VEHICLE = {"vin": "WVWZZZ1JZXW000001", "make": "Volkswagen", "country": "FR"}
FIREARM = {"make": "Glock", "serial_number": "ABC123", "type": "pistol"}
ARTWORK = {"title": "Portrait de femme", "type": "painting"}
# What is not a level-2 code, and the hub's word for it.
HOSTILE = [
    ("9999", "is not an ICCS level-2 code"),
    ("05021", "give 0502"),  # five characters: level 3
    ("05", "is an ICCS section (level 1)"),
    (502, "valid string"),  # not text
    (["0502"], "valid string"),
    ({"code": "0502"}, "valid string"),
    ("0502" * 20, "at most 40 characters"),
]


def opened(peers, kind):
    raw = OutboxEnvelope.objects.filter(kind=kind).latest("id").payload
    return envelope.open_body(envelope.decode(bytes(raw)), "hub", peers["hub"])


# --- at the hub ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("database", "data", "code"),
    [
        ("persons", PERSON, "0101"),
        ("documents", DOC, "0502"),
        ("vehicles", VEHICLE, "0502"),
        ("firearms", FIREARM, "0901"),
        ("artworks", ARTWORK, "0502"),
    ],
)
def test_the_hub_keeps_the_category_in_the_data_and_its_column(hub, database, data, code):
    r = services.contribute(FR, database, {**data, "iccs": code})
    r.refresh_from_db()
    assert r.iccs == code and r.data["iccs"] == code
    assert RecordVersion.objects.get(record=r).data["iccs"] == code
    assert Record.objects.filter(iccs=code).count() == 1


def test_data_without_a_category_stays_as_it_was(hub):
    r = services.contribute(FR, "documents", DOC)
    assert "iccs" not in r.data and r.iccs == ""
    blank = services.contribute(FR, "documents", {**DOC, "number": "FR-440012", "iccs": " "})
    assert "iccs" not in blank.data and blank.iccs == ""


@pytest.mark.parametrize(("value", "message"), HOSTILE)
def test_what_is_not_a_level_2_code_is_refused_and_nothing_is_written(hub, value, message):
    with pytest.raises(ValidationError) as refused:
        services.contribute(FR, "documents", {**DOC, "iccs": value})
    assert message in " ".join(refused.value.message_dict["iccs"])
    assert not Record.objects.exists()


def test_the_owner_changes_or_clears_the_category(hub):
    r = services.contribute(FR, "documents", {**DOC, "iccs": "0502"})
    services.change(FR, str(r.pk), {**DOC, "iccs": "0702"}, reason="a forged passport, not a stolen one")
    r.refresh_from_db()
    assert (r.iccs, r.data["iccs"], r.version) == ("0702", "0702", 2)
    with pytest.raises(ValidationError):
        services.change(FR, str(r.pk), {**DOC, "iccs": "07"})
    r.refresh_from_db()
    assert r.iccs == "0702" and r.version == 2
    services.change(FR, str(r.pk), DOC)
    r.refresh_from_db()
    assert r.iccs == "" and "iccs" not in r.data


def test_the_replicas_feed_carries_it_in_the_data(hub):
    r = services.contribute(FR, "vehicles", {**VEHICLE, "iccs": "0502"})
    assert replication.payload(r)["data"]["iccs"] == "0502"


def test_a_contribution_from_the_network_with_a_bad_code_is_refused_by_the_hub(peers, hub):
    body = {
        "contribution": envelope.new_id(),
        "by": "fr-officer",
        "database": "documents",
        "data": {**DOC, "iccs": "05"},
        "restriction": None,
    }
    assert delivery.accept(arriving(peers, contribution.CONTRIBUTE, body, sender="FR"), 1) == "accepted"
    outcome = envelope.open_body(
        envelope.decode(bytes(OutboxEnvelope.objects.filter(kind=contribution.OUTCOME).latest("id").payload)),
        "FR",
        peers["FR"],
    )
    assert outcome["status"] == "refused" and "section (level 1)" in outcome["errors"]["iccs"][0]
    assert not Record.objects.exists()
    good = {**body, "contribution": envelope.new_id(), "data": {**DOC, "iccs": "0502"}}
    delivery.accept(arriving(peers, contribution.CONTRIBUTE, good, sender="FR"), 2)
    assert Record.objects.get().iccs == "0502"


# --- at a node: the API, the forms, the replica --------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"), [v for v in HOSTILE if not v[1].startswith(("valid", "at most"))]
)
def test_the_api_refuses_a_bad_code_at_once_naming_the_field(client, peers, user_factory, value, message):
    client.force_login(user_factory("ncb", "officer", username="fr-officer"))
    response = client.post(
        "/api/v1/records/contributions",
        {"database": "documents", "data": {**DOC, "iccs": value}},
        content_type="application/json",
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "data.iccs" and message in error["message"]
    assert not Contribution.objects.exists() and not OutboxEnvelope.objects.exists()


@pytest.mark.parametrize("value", [502, ["0502"], {"code": "0502"}])
def test_the_api_refuses_a_code_that_is_not_text(client, peers, user_factory, value):
    client.force_login(user_factory("ncb", "officer", username="fr-officer"))
    response = client.post(
        "/api/v1/records/contributions",
        {"database": "documents", "data": {**DOC, "iccs": value}},
        content_type="application/json",
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "data.iccs"
    assert not Contribution.objects.exists()


def test_the_api_sends_the_category_and_gives_it_back_from_the_replica(client, peers, user_factory):
    client.force_login(user_factory("ncb", "officer", username="fr-officer"))
    response = client.post(
        "/api/v1/records/contributions",
        {"database": "documents", "data": {**DOC, "iccs": "0502"}},
        content_type="application/json",
    )
    assert response.status_code == 202
    assert opened(peers, contribution.CONTRIBUTE)["data"]["iccs"] == "0502"
    held(peers, replica_body(data={**PERSON, "iccs": "0101"}))
    listed = client.get("/api/v1/records").json()["results"]
    assert [(r["id"], r["iccs"]) for r in listed] == [(RID, "0101")]
    replica = client.get("/api/v1/records/replica").json()["results"]
    assert replica[0]["iccs"] == "0101" and replica[0]["data"]["iccs"] == "0101"


def test_an_edit_through_the_api_with_a_bad_code_is_refused_before_it_travels(client, peers, user_factory):
    held(peers, replica_body())
    client.force_login(user_factory("ncb", "officer", username="fr-officer"))
    response = client.patch(
        f"/api/v1/records/{RID}", {"data": {**PERSON, "iccs": "01"}}, content_type="application/json"
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "data.iccs"
    response = client.patch(
        f"/api/v1/records/{RID}", {"data": {**PERSON, "iccs": "0101"}}, content_type="application/json"
    )
    assert response.status_code == 202 and last_change(peers)["data"]["iccs"] == "0101"


def test_a_replica_reads_the_category_from_the_data_and_none_from_an_old_hubs_record(peers):
    held(
        peers,
        replica_body(),
        replica_body(rid="019ac000-0000-7000-8000-0000000000b9", data={**PERSON, "iccs": "0101"}),
    )
    assert sorted(r.iccs for r in ReplicaRecord.objects.all()) == ["", "0101"]


def test_the_contribution_form_offers_the_codes_by_section_and_sends_the_one_chosen(
    client, peers, user_factory
):
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    page = client.get("/records/contribute/vehicles/").content.decode()
    assert '<optgroup label="05 Acts against property only">' in page
    assert '<option value="0502">0502 Theft</option>' in page
    form = {**VEHICLE, "access": "all", "handling": "H0"}
    refused = client.post("/records/contribute/vehicles/", form | {"iccs": "05"})
    assert refused.status_code == 400 and "Select a valid choice" in refused.content.decode()
    assert not OutboxEnvelope.objects.exists()
    assert client.post("/records/contribute/vehicles/", form | {"iccs": "0502"}).status_code == 302
    assert opened(peers, contribution.CONTRIBUTE)["data"]["iccs"] == "0502"


def test_a_contribution_left_without_a_category_sends_none(client, peers, user_factory):
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    form = {**VEHICLE, "access": "all", "handling": "H0", "iccs": ""}
    assert client.post("/records/contribute/vehicles/", form).status_code == 302
    assert "iccs" not in opened(peers, contribution.CONTRIBUTE)["data"]


def test_the_owner_sees_and_edits_the_category_of_its_record(client, peers, user_factory):
    held(peers, replica_body(data={**PERSON, "iccs": "0101"}))
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    assert "0101 Intentional homicide" in client.get(f"/records/{RID}/").content.decode()
    form = client.get(f"/records/{RID}/edit/").content.decode()
    assert '<option value="0101" selected>' in form
    response = client.post(
        f"/records/{RID}/edit/",
        {
            "name": "Lucie Marchal",
            "script": "Latn",
            "birth_year": "1990",
            "birth_month": "4",
            "sex": "F",
            "nationalities": "FR",
            "iccs": "0102",
            "reason": "the victim survived",
        },
    )
    assert response.status_code == 302 and last_change(peers)["data"]["iccs"] == "0102"


def test_a_bulk_file_of_persons_gives_the_category_as_a_column():
    text = "name,nationalities,iccs\nLucie Marchal,FR,0101\nMarc Dupont,FR,\n"
    rows = list(imports.rows("persons", "persons.csv", io.BytesIO(text.encode())))
    assert [data.get("iccs") for _row, data, _errors in rows] == ["0101", None]
    assert "iccs" in imports.columns("documents")


def test_a_contribution_refused_at_the_node_is_audited_nowhere_and_sent_nowhere(peers, user_factory):
    officer = user_factory("ncb", "officer")
    with pytest.raises(ValidationError) as refused:
        contribution.submit(officer, "documents", {**DOC, "iccs": "0502x"})
    assert "data.iccs" in refused.value.message_dict
    assert not AuditEntry.objects.filter(action="records.contribution_sent").exists()
