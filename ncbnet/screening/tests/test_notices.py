"""Notices in screening: a person screening also searches the subjects of the notices and
diffusions this node holds; a hit says which notices are out, what they ask and what to do next,
still a possible match awaiting the owner's confirmation (the notice's owner is asked to confirm
a hit on its subject, through the same hit report as a record's)."""

import uuid

import pytest

from ncbnet.base import clock
from ncbnet.base.actor import Actor
from ncbnet.conftest import sign_in
from ncbnet.hits.models import HitReport
from ncbnet.hits.schemas import POSSIBLE_MATCH
from ncbnet.notices import services as notices
from ncbnet.notices.models import ReplicaNotice
from ncbnet.notices.tests.test_notices import red
from ncbnet.records import services as records
from ncbnet.screening import index, mrz, services
from ncbnet.screening.models import Card
from ncbnet.screening.tests.test_persons import person

pytestmark = pytest.mark.django_db

MARC = {"names": [{"value": "Marc Dupont"}], "date_of_birth": {"year": 1979, "month": 3, "day": 2}}


def received(kind="red", owner="BR", subject=None, source="notice", title="Marc Dupont", **data):
    """A notice (or diffusion) as the hub sent it to this node."""
    now = clock.now()
    return ReplicaNotice.objects.create(
        id=uuid.uuid4(),
        kind=kind,
        owner=owner,
        title=title,
        data={"subject": subject or MARC, **data},
        published_at=now,
        received_at=now,
        source=source,
    )


def test_a_subject_known_only_by_the_notice_is_found_and_names_the_notice(user_factory):
    officer = user_factory("agency", "query")
    notice = received(charges=["armed robbery"])
    person("KE", "Olga Petrova")
    result = services.person(officer, "DUPONT Marc", "1979-03-02")
    [hit] = result.hits
    assert (hit.database, hit.record, hit.owner, hit.label) == (
        "notices",
        str(notice.pk),
        "BR",
        "Marc Dupont",
    )
    assert hit.status == POSSIBLE_MATCH and "date of birth agrees" in hit.explanation
    [out] = hit.notices
    assert out["id"] == str(notice.pk) and out["kind"] == "red"
    assert out["asked"] == "locate and arrest with a view to extradition"
    assert "Do not arrest on the hit alone" in out["next"]
    # The notice's owner is asked to confirm, as a record's owner is.
    report = HitReport.objects.get()
    assert (report.record_id, report.database, report.owner) == (notice.pk, "notices", "BR")
    assert hit.report == str(report.pk)


@pytest.mark.parametrize(
    ("kind", "asked"),
    [
        ("yellow", "locate (a missing person) or identify"),
        ("blue", "information on identity, location or activities"),
        ("green", "warning: criminal activities"),
        ("silver", "trace and locate criminal assets"),
        ("unsc", "apply the UN Security Council's sanctions"),
    ],
)
def test_each_kind_says_what_it_asks(user_factory, kind, asked):
    officer = user_factory("agency", "query")
    received(kind)
    [hit] = services.person(officer, "Marc Dupont").hits
    assert (hit.notices[0]["kind"], hit.notices[0]["asked"]) == (kind, asked)


def test_a_record_hit_whose_person_is_a_notice_subject_says_the_notice_is_out(user_factory):
    officer = user_factory("agency", "query")
    wanted = person("BR", "Marc Dupont", dob={"year": 1979, "month": 3, "day": 2})
    notice = received(subject={**MARC, "record_id": str(wanted.pk)})
    other = received("blue", subject={"record_id": str(wanted.pk), "names": [{"value": "M. Dupont"}]})
    [hit] = services.person(officer, "Marc Dupont", "1979-03-02").hits  # the notice said once, on the record
    assert (hit.database, hit.record) == ("persons", str(wanted.pk))
    assert sorted((n["kind"], n["id"]) for n in hit.notices) == sorted(
        [("red", str(notice.pk)), ("blue", str(other.pk))]
    )
    assert HitReport.objects.get().owner == "BR"


def test_a_diffusion_received_is_searched_and_says_so(user_factory):
    officer = user_factory("agency", "query")
    received("yellow", owner="KE", source="diffusion", place="Nairobi", circumstances="left home")
    [hit] = services.person(officer, "Marc Dupont").hits
    assert hit.owner == "KE" and hit.notices[0]["source"] == "diffusion"


def test_a_withdrawn_notice_is_no_longer_found_and_other_names_never_were(user_factory):
    officer = user_factory("agency", "query")
    notice = received()
    assert services.person(officer, "Pedro Alvarez").hits == []
    ReplicaNotice.objects.filter(pk=notice.pk).delete()  # as the hub's withdrawal does
    assert services.person(officer, "Marc Dupont").hits == []
    assert not Card.objects.filter(record_id=notice.pk).exists()


def test_notices_never_crowd_out_records_and_the_rebuilt_index_keeps_them(user_factory):
    officer = user_factory("agency", "query")
    for _ in range(25):
        received()
    held = person("KE", "Marc Dupont")
    index.rebuild()
    hits = services.person(officer, "Marc Dupont").hits
    assert hits[0].record == str(held.pk)
    assert sum(h.database == "notices" for h in hits) == index.NOTICE_CANDIDATES


def test_a_visa_holder_who_is_a_notice_subject_is_found(user_factory):
    officer = user_factory("agency", "query")
    notice = received()
    line1 = f"{'V<FRADUPONT<<MARC':<<36}"
    number, born, ends = "X12345678", "790302", "301231"
    line2 = f"{number}{mrz.check_digit(number)}BRA{born}{mrz.check_digit(born)}M{ends}{mrz.check_digit(ends)}"
    result = services.machine_readable_zone(officer, f"{line1}\n{line2:<<36}")
    assert result.problems == []
    assert [(h.database, h.record) for h in result.hits] == [("notices", str(notice.pk))]


def test_at_the_hub_a_published_notice_is_searched_until_it_is_cancelled(hub, user_factory):
    officer = user_factory("gs", "analyst")
    fr, gs = Actor("fr-officer", "FR"), Actor("gs-reviewer", gs=True)
    n = notices.submit(fr, str(notices.draft(fr, "red", red()).pk))
    assert services.person(officer, "Marc Dupont", "1979", context=None).hits == []  # in review
    notices.review(gs, str(n.pk), "approve", "Meets the Rules.")
    [hit] = services.person(officer, "Marc Dupont", "1979", context=None).hits
    assert (hit.database, hit.owner, hit.notices[0]["kind"]) == ("notices", "FR", "red")
    notices.cancel(fr, str(n.pk), "Arrested in Lyon.")
    assert services.person(officer, "Marc Dupont", "1979", context=None).hits == []


def test_at_the_hub_a_subject_given_as_a_record_is_found_through_the_record(hub, user_factory):
    officer = user_factory("gs", "analyst")
    fr, gs = Actor("fr-officer", "FR"), Actor("gs-reviewer", gs=True)
    record = records.contribute(
        fr,
        "persons",
        {"names": [{"value": "Marc Dupont"}], "nationalities": ["FR"], "date_of_birth": {"year": 1979}},
    )
    n = notices.submit(fr, str(notices.draft(fr, "red", red(subject={"record_id": str(record.pk)})).pk))
    notices.review(gs, str(n.pk), "approve", "Meets the Rules.")
    [hit] = services.person(officer, "Marc Dupont", context=None).hits
    assert (hit.database, hit.record) == ("persons", str(record.pk))
    assert [x["id"] for x in hit.notices] == [str(n.pk)]


def test_the_page_and_the_api_show_the_notice(client, user_factory):
    notice = received(charges=["armed robbery"])
    user_factory("agency", "query", username="fr-border")
    sign_in(client, "fr-border")
    page = client.post("/screening/", {"name": "Marc Dupont", "reason": "entry"}).content.decode()
    assert "Subject of a notice" in page and f"/notices/{notice.pk}/" in page
    assert "locate and arrest with a view to extradition" in page
    assert "Possible match — awaiting confirmation by the owner." in page
    report = HitReport.objects.get()
    assert f"/notices/{notice.pk}/" in client.get(f"/hits/{report.pk}/").content.decode()
    found = client.post(
        "/api/v1/screening/persons", {"name": "Marc Dupont"}, content_type="application/json"
    ).json()
    [hit] = found["hits"]
    assert hit["database"] == "notices" and hit["record"] == str(notice.pk)
    assert hit["notices"][0] | {"next": ""} == {
        "id": str(notice.pk),
        "kind": "red",
        "kind_label": "Red: locate and arrest with a view to extradition",
        "title": "Marc Dupont",
        "owner": "BR",
        "source": "notice",
        "asked": "locate and arrest with a view to extradition",
        "next": "",
    }
