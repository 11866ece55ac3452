"""A notice's crime category (a level-2 ICCS code): chosen in the request form or given through the
API; left empty, a Red Notice's comes from its charges where their text names one. The hub keeps
it with the notice (a column for the figures), the published notice carries it to every node.
Whatever is not a level-2 code is refused, naming the field, and the notice stays a draft."""

import pytest
from django.core.exceptions import ValidationError

from ncbnet.base.actor import Actor
from ncbnet.conftest import sign_in
from ncbnet.network import envelope
from ncbnet.network.models import OutboxEnvelope
from ncbnet.notices import forms, replication, requests, services
from ncbnet.notices.models import Notice, State
from ncbnet.notices.tests.test_notices import red
from ncbnet.notices.tests.test_published import publish
from ncbnet.notices.tests.test_requests import to_self

pytestmark = pytest.mark.django_db
FR = Actor("fr-officer", "FR")
HOSTILE = [
    ("9999", "is not an ICCS level-2 code"),
    ("01011", "give 0101"),  # five characters: level 3
    ("01", "is an ICCS section (level 1)"),
    (101, "valid string"),  # not text
    (["0101"], "valid string"),
    ("x" * 41, "at most 40 characters"),
]


def submit(data, actor=FR):
    return services.submit(actor, str(services.draft(actor, "red", data).pk))


@pytest.mark.parametrize(
    ("charges", "code"),
    [
        (["Murder"], "0101"),
        (["Meurtre", "Vol"], "0101"),
        (["Homicidio"], "0101"),
        (["القتل العمد"], "0101"),
        (["Escroquerie en bande organisée"], "0701"),
        (["Drug trafficking"], "0601"),
        (["Article 222-37 of the Criminal Code"], ""),
    ],
)
def test_left_empty_a_red_notices_category_comes_from_its_charges(hub, charges, code):
    n = submit(red(charges=charges))
    n.refresh_from_db()
    assert n.state == State.IN_REVIEW and n.iccs == code
    assert n.data.get("iccs") == (code or None)


def test_the_officers_choice_wins_over_the_charges(hub):
    n = submit(red(charges=["Murder"], iccs="0102"))
    assert n.iccs == "0102" and n.data["iccs"] == "0102"


@pytest.mark.parametrize(("value", "message"), HOSTILE)
def test_what_is_not_a_level_2_code_keeps_the_notice_a_draft(hub, value, message):
    n = services.draft(FR, "red", red(iccs=value))
    with pytest.raises(ValidationError) as refused:
        services.submit(FR, str(n.pk))
    assert message in " ".join(refused.value.message_dict["iccs"])
    n.refresh_from_db()
    assert n.state == State.DRAFT and n.iccs == ""


def test_every_kind_may_carry_a_category(hub):
    blue = {
        "subject": {"names": [{"value": "Ana Lima"}]},
        "information_sought": "Her whereabouts.",
        "iccs": "0906",
    }
    n = services.submit(FR, str(services.draft(FR, "blue", blue).pk))
    assert n.iccs == "0906"


def test_a_diffusion_keeps_its_category(hub):
    d = services.diffuse(FR, "red", ["BR"], red(charges=["Fraude"]))
    assert d.iccs == "0701" and d.data["iccs"] == "0701"
    with pytest.raises(ValidationError) as refused:
        services.diffuse(FR, "red", ["BR"], red(iccs="07"))
    assert "iccs" in refused.value.message_dict


def test_the_published_notice_gives_its_category_through_the_api(client, user_factory, hub):
    n = publish(FR, "red", red(charges=["Money laundering"]))
    assert Notice.objects.get(pk=n.pk).iccs == "0704"
    client.force_login(user_factory("gs", "analyst", username="gs-analyst"))
    [item] = client.get("/api/v1/notices").json()["results"]
    assert item["iccs"] == "0704" and item["data"]["iccs"] == "0704"


def test_a_node_keeps_the_category_of_a_published_notice_and_reads_an_old_hubs_without(
    client, peers, user_factory
):
    body = {
        "id": "019ac000-0000-7000-8000-0000000000e1",
        "kind": "red",
        "owner": "KE",
        "title": "Marc Dupont",
        "data": red(iccs="0401"),
        "published_at": "2026-11-30T08:00:00+00:00",
    }
    assert to_self(peers, replication.PUBLISHED, body, 1, "hub") == "accepted"
    old = {**body, "id": "019ac000-0000-7000-8000-0000000000e2", "data": red()}
    assert to_self(peers, replication.PUBLISHED, old, 2, "hub") == "accepted"
    client.force_login(user_factory("ncb", "officer", username="fr-officer"))
    listed = {i["id"]: i["iccs"] for i in client.get("/api/v1/notices").json()["results"]}
    assert listed == {body["id"]: "0401", old["id"]: ""}


@pytest.mark.parametrize(("value", "message"), HOSTILE)
def test_the_api_refuses_a_bad_code_at_once_naming_the_field(client, peers, user_factory, value, message):
    client.force_login(user_factory("ncb", "officer", username="fr-officer"))
    response = client.post(
        "/api/v1/notices/requests", {"kind": "red", "data": red(iccs=value)}, content_type="application/json"
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "iccs" and message in error["message"]
    assert not OutboxEnvelope.objects.filter(kind=requests.REQUEST).exists()


def test_the_api_sends_the_category_given(client, peers, user_factory):
    client.force_login(user_factory("ncb", "officer", username="fr-officer"))
    response = client.post(
        "/api/v1/notices/requests", {"kind": "red", "data": red(iccs="0401")}, content_type="application/json"
    )
    assert response.status_code == 202
    raw = OutboxEnvelope.objects.get(kind=requests.REQUEST).payload
    assert envelope.open_body(envelope.decode(bytes(raw)), "hub", peers["hub"])["data"]["iccs"] == "0401"


def test_the_request_form_offers_the_codes_by_section(client, peers, user_factory):
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    page = client.get("/notices/request/red/").content.decode()
    assert '<optgroup label="01 Acts leading to death or intending to cause death">' in page
    assert '<option value="0101">0101 Intentional homicide</option>' in page
    assert "taken from the charges" in page


def form_data(**over):
    return {
        "subject__name": "Marc Dupont",
        "subject__script": "Latn",
        "purpose": "prosecution",
        "charges": "Meurtre\nVol",
        "law": "Code pénal, art. 221-1",
        "max_penalty_years": "30",
        "warrant__reference": "MA-1",
        "warrant__date": "2026-09-01",
        "warrant__authority": "Juge d'instruction, Lyon",
        "facts__summary": "Killed a shopkeeper during a robbery in the old town.",
        "facts__place": "Lyon",
    } | over


def test_the_form_gives_the_category_chosen_or_none_for_the_hub_to_take_from_the_charges():
    chosen = forms.NoticeForm(form_data(iccs="0102"), kind="red", subjects=[])
    assert chosen.is_valid(), chosen.errors
    assert chosen.notice_data()["iccs"] == "0102"
    empty = forms.NoticeForm(form_data(), kind="red", subjects=[])
    assert empty.is_valid(), empty.errors
    assert "iccs" not in empty.notice_data()
    bad = forms.NoticeForm(form_data(iccs="01"), kind="red", subjects=[])
    assert not bad.is_valid() and "iccs" in bad.errors


def test_the_edit_form_shows_the_category_and_the_notice_page_its_label(hub):
    n = submit(red(charges=["Murder"]))
    assert forms.initial("red", n.data)["iccs"] == "0101"
    assert ("Crime category (ICCS)", "0101 Intentional homicide") in [
        (str(label), value) for label, value in forms.shown("red", n.data)
    ]
