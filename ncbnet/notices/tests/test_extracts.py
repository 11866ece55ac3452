"""Public extracts: asked for by the owner bureau (when it requests the notice, or later), allowed
by its national law, approved by the GS in the review; only the public fields; removed at once
when the notice is cancelled, expires or is withdrawn. Every step audited."""

import base64
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from ncbnet.base import clock
from ncbnet.base.actor import Actor
from ncbnet.base.chain import AuditEntry
from ncbnet.network import envelope
from ncbnet.notices import extracts, requests, services
from ncbnet.notices.models import ExtractPhoto, ExtractState, PublicExtract
from ncbnet.notices.tests.test_notices import GS, red
from ncbnet.notices.tests.test_requests import latest, to_self
from ncbnet.records import services as records
from ncbnet.records.models import Record

pytestmark = pytest.mark.django_db

FR, BR, KE = Actor("fr-officer", "FR"), Actor("br-officer", "BR"), Actor("ke-officer", "KE")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
PHOTO = {"content_type": "image/png", "data": base64.b64encode(PNG).decode()}
SECRET = "Robbed a jewellery store at gunpoint with two accomplices."  # the facts: never public


def yellow():
    return {
        "subject": {
            "names": [{"value": "Amira Haddad"}],
            "date_of_birth": {"year": 2009, "month": 3, "day": 14},
            "nationalities": ["FR", "DZ"],
        },
        "missing_since": "2026-10-02",
        "place": "Marseille",
        "circumstances": "Left school and did not come home; her phone is off.",
    }


def unsc():
    return {
        "subject": {
            "names": [{"value": "Ivan Petrov"}, {"value": "Vanya", "kind": "alias"}],
            "date_of_birth": {"year": 1970},
            "nationalities": ["RU"],
        },
        "regime": "1267",
        "measures": ["asset_freeze", "travel_ban"],
    }


def in_review(actor, kind, data):
    return services.submit(actor, str(services.draft(actor, kind, data).pk))


@pytest.fixture(autouse=True)
def at_the_hub(hub):
    """Extracts exist only at the hub."""


def test_an_approved_red_extract_holds_only_the_public_fields():
    n = in_review(
        FR,
        "red",
        red(
            subject={
                "names": [{"value": "Marc Dupont"}],
                "date_of_birth": {"year": 1979},
                "nationalities": ["FR"],
            }
        ),
    )
    e = extracts.request(
        FR,
        str(n.pk),
        {
            "height": 1.82,
            "weight": 80,
            "eyes_colors_id": "BRO",
            "hairs_id": "BLA",
            "languages": ["fr", "ara"],
            "sex": "M",
            "place_of_birth": "Lyon",
            "country_of_birth": "FR",
            "photos": [PHOTO],
        },
    )
    assert e.state == ExtractState.REQUESTED and e.entity_id == f"{clock.now().year}/00001"
    services.review(GS, str(n.pk), "approve", "Meets the Rules; public extract justified.", extract="approve")
    e.refresh_from_db()
    assert e.state == ExtractState.PUBLISHED and e.published_at and e.decided_by == "gs-reviewer"
    d = e.data
    assert d["forename"] == "MARC" and d["name"] == "DUPONT" and d["date_of_birth"] == "1979"
    assert d["height"] == 1.82 and d["languages_spoken_ids"] == ["FRE", "ARA"]
    assert d["arrest_warrants"] == [
        {"issuing_country_id": "FR", "charge": "armed robbery", "charge_translation": None}
    ]
    text = repr(d)
    assert SECRET not in text and "MA-2026-0042" not in text and "Code pénal" not in text
    assert [p.data for p in ExtractPhoto.objects.filter(extract=e)] == [PNG]
    assert e in extracts.published()
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"notices.extract_requested", "notices.extract_published"} <= actions


def test_yellow_and_un_extracts_add_their_own_fields():
    y = in_review(FR, "yellow", yellow())
    extracts.request(
        FR, str(y.pk), {"mother_name": "HADDAD", "mother_forename": "Leila", "father_forename": "Karim"}
    )
    services.review(GS, str(y.pk), "approve", "Missing child.", extract="approve")
    d = PublicExtract.objects.get(notice=y).data
    assert (
        d["date_of_birth"] == "2009/03/14"
        and d["date_of_event"] == "2026/10/02"
        and d["place"] == "Marseille"
    )
    assert d["country"] == "FR" and d["mother_forename"] == "Leila" and "circumstances" not in d
    u = in_review(FR, "unsc", unsc())
    extracts.request(
        FR,
        str(u.pk),
        {
            "un_reference": "QDi.001",
            "un_resolution": "1267 (1999)",
            "un_reference_date": "2001-01-25",
            "identity_documents": ["RU passport 1234"],
            "adresses": ["Moscow"],
        },
    )
    services.review(GS, str(u.pk), "approve", "UN listed.", extract="approve")
    d = PublicExtract.objects.get(notice=u).data
    assert d["un_reference"] == "QDi.001" and d["aliases"] == ["Vanya"] and d["adresses"] == ["Moscow"]
    assert d["un_reference_date"] == "2001/01/25" and "measures" not in d and "regime" not in d


def test_an_extract_needs_the_owner_its_national_law_and_a_kind_that_has_one():
    n = in_review(BR, "red", red())
    with pytest.raises(ValidationError, match="public_extracts"):
        extracts.request(BR, str(n.pk), {})
    fr = in_review(FR, "red", red())
    with pytest.raises(PermissionDenied):
        extracts.request(KE, str(fr.pk), {})
    with pytest.raises(PermissionDenied):
        extracts.request(GS, str(fr.pk), {})
    blue = in_review(
        FR, "blue", {"subject": {"names": [{"value": "X Y"}]}, "information_sought": "Where he lives now."}
    )
    with pytest.raises(ValidationError, match="only Red"):
        extracts.request(FR, str(blue.pk), {})
    with pytest.raises(ValidationError, match="height"):
        extracts.request(FR, str(fr.pk), {"height": 182})
    with pytest.raises(ValidationError, match="un_reference"):
        extracts.request(FR, str(fr.pk), {"un_reference": "QDi.001"})
    with pytest.raises(ValidationError, match="language"):
        extracts.request(FR, str(fr.pk), {"languages": ["zz"]})
    assert not PublicExtract.objects.exists()


def test_the_gs_decides_with_a_reason_and_only_on_a_published_notice():
    n = in_review(FR, "red", red())
    extracts.request(FR, str(n.pk), {})
    with pytest.raises(PermissionDenied):
        extracts.decide(FR, str(n.pk), True, "ok")
    with pytest.raises(ValidationError, match="reason"):
        extracts.decide(GS, str(n.pk), True, " ")
    with pytest.raises(ValidationError, match="not published"):
        extracts.decide(GS, str(n.pk), True, "fine")
    services.review(GS, str(n.pk), "approve", "Meets the Rules.")  # the notice alone
    assert PublicExtract.objects.get().state == ExtractState.REQUESTED
    e = extracts.decide(GS, str(n.pk), False, "Publicity would endanger the inquiry.")
    assert e.state == ExtractState.REFUSED and e.reason.startswith("Publicity") and e.data == {}
    assert not extracts.published().exists()
    again = extracts.request(FR, str(n.pk), {"height": 1.7})  # asked again, with the same id
    assert again.state == ExtractState.REQUESTED and again.entity_id == e.entity_id
    assert extracts.decide(GS, str(n.pk), True, "Now justified.").state == ExtractState.PUBLISHED


def published_extract(actor=FR, kind="red", data=None, details=None):
    n = in_review(actor, kind, data or red())
    extracts.request(actor, str(n.pk), {"photos": [PHOTO]} if details is None else details)
    services.review(GS, str(n.pk), "approve", "Meets the Rules.", extract="approve")
    return n, PublicExtract.objects.get(notice=n)


def removed(e):
    e.refresh_from_db()
    return (
        e.state == ExtractState.WITHDRAWN
        and e.removed_at == clock.now()
        and e.data == {}
        and e.name_key == ""
        and not ExtractPhoto.objects.filter(extract=e).exists()
        and e not in extracts.published()
    )


def test_cancelling_the_notice_removes_its_extract_in_the_same_transaction():
    n, e = published_extract()
    with clock.frozen(clock.now()):
        services.cancel(FR, str(n.pk), "Arrested in Spain.")
        assert removed(e)
    assert AuditEntry.objects.filter(action="notices.extract_withdrawn").count() == 1


def test_expiry_removes_the_extract():
    _, e = published_extract()
    with clock.travel(timedelta(days=5 * 366 + 1)), clock.frozen(clock.now()):
        assert services.tick()["expired"] == 1
        assert removed(e)


def test_the_owner_or_the_gs_withdraws_the_extract_alone():
    n, e = published_extract()
    with pytest.raises(PermissionDenied):
        extracts.withdraw(KE, str(n.pk), "no")
    with clock.frozen(clock.now()):
        extracts.withdraw(FR, str(n.pk), "The family asked us to.")
        assert removed(e)
    n.refresh_from_db()
    assert n.state == "published"
    with pytest.raises(ValidationError):
        extracts.withdraw(GS, str(n.pk), "again")


def test_a_restricted_record_is_never_made_public():
    secret = records.contribute(
        FR,
        "persons",
        {"names": [{"value": "Secret Person"}], "date_of_birth": {"year": 1980}, "nationalities": ["FR"]},
        {"access": "allow", "countries": ["FR", "BE"]},
    )
    n = in_review(FR, "red", red(subject={"record_id": str(secret.pk)}))
    with pytest.raises(ValidationError, match="restricted"):
        extracts.request(FR, str(n.pk), {})
    open_record = records.contribute(
        FR,
        "persons",
        {
            "names": [{"value": "Open Person"}],
            "date_of_birth": {"year": 1981},
            "nationalities": ["FR"],
            "photos": [PHOTO],
        },
    )
    _, e = published_extract(data=red(subject={"record_id": str(open_record.pk)}), details={})
    assert e.data["name"] == "PERSON" and ExtractPhoto.objects.filter(extract=e).count() == 1
    records.change(
        FR, str(open_record.pk), restriction={"access": "deny", "countries": ["RU"]}, reason="inquiry"
    )
    assert e not in extracts.published()


def test_a_node_asks_for_the_extract_over_the_network(peers, hub):
    body = {"id": envelope.new_id(), "by": "fr-officer", "kind": "red", "data": red()}
    assert to_self(peers, requests.REQUEST, body, 1, "FR") == "accepted"
    ask = {"id": body["id"], "by": "fr-officer", "details": {"height": 1.8}}
    assert to_self(peers, requests.EXTRACT, ask, 2, "FR") == "accepted"
    assert PublicExtract.objects.get().details["height"] == 1.8
    body = {"id": envelope.new_id(), "by": "br-officer", "kind": "red", "data": red()}
    assert to_self(peers, requests.REQUEST, body, 1, "BR") == "accepted"
    ask = {"id": body["id"], "by": "br-officer", "details": {}}
    assert to_self(peers, requests.EXTRACT, ask, 2, "BR") == "accepted"
    status = envelope.open_body(latest(requests.STATUS), "BR", peers["BR"])
    assert status["reason"] == "public extract refused" and "public_extract" in status["errors"]
    # from another bureau than the owner: quarantined
    ask = {"id": body["id"], "by": "fr-officer", "details": {}}
    assert to_self(peers, requests.EXTRACT, ask, 3, "FR") == "quarantined"


def test_a_node_checks_its_own_national_law_first(peers, settings, request):
    settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "ncb", "FR"  # on FR's node, not the hub
    officer = request.getfixturevalue("user_factory")("ncb", "officer", username="fr-officer")
    r = requests.request(officer, "red", red(), extract={"height": 1.8})
    e = latest(requests.EXTRACT)
    assert e["to"] == ["hub"] and envelope.open_body(e, "hub", peers["hub"])["details"] == {"height": 1.8}
    with pytest.raises(ValidationError, match="only Red"):
        requests.request(
            officer,
            "blue",
            {"subject": {"names": [{"value": "X Y"}]}, "information_sought": "Where he lives."},
            extract={},
        )
    settings.NCBNET_COUNTRY = "BR"
    with pytest.raises(ValidationError, match="public_extracts"):
        requests.request_extract(officer, str(r.pk), {})


def test_the_reviewer_decides_the_extract_on_the_queue_page(client, user_factory):
    from ncbnet.conftest import sign_in

    n = in_review(FR, "red", red())
    extracts.request(FR, str(n.pk), {})
    later = in_review(FR, "yellow", yellow())
    services.review(GS, str(later.pk), "approve", "Missing child.")
    extracts.request(FR, str(later.pk), {})
    user_factory("gs", "reviewer", username="gs-reviewer")
    sign_in(client, "gs-reviewer")
    page = client.get("/review/").content.decode()
    assert "The owner asks for a public extract" in page and "Public extracts of published notices" in page
    client.post(
        f"/review/{n.pk}/", {"decision": "approve", "reason": "Meets the Rules.", "extract": "approve"}
    )
    assert PublicExtract.objects.get(notice=n).state == ExtractState.PUBLISHED
    client.post(f"/review/{later.pk}/extract/", {"decision": "refuse", "reason": "Family objects."})
    assert PublicExtract.objects.get(notice=later).state == ExtractState.REFUSED
    client.post(f"/review/{later.pk}/extract/", {"decision": "maybe", "reason": "x"})
    assert PublicExtract.objects.get(notice=later).state == ExtractState.REFUSED


def test_a_withdrawn_or_purged_record_hides_its_extract_and_moves_the_public_version():
    person = records.contribute(
        FR,
        "persons",
        {"names": [{"value": "Paul Morel"}], "date_of_birth": {"year": 1985}, "nationalities": ["FR"]},
    )
    _, e = published_extract(data=red(subject={"record_id": str(person.pk)}), details={})
    assert e in extracts.published()
    before = extracts.version()
    records.withdraw(FR, str(person.pk), "Identity confirmed as wrong.")
    assert e not in extracts.published() and extracts.version() == before + 1
    with transaction.atomic():
        records.purge(Record.objects.get(pk=person.pk), "retention over")
    e.refresh_from_db()
    assert e.state == ExtractState.WITHDRAWN and e.data == {} and e.name_key == ""
