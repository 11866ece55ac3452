"""Notices: every workflow transition and every refusal, on a clock the tests move."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ncbnet.base import clock
from ncbnet.base.actor import Actor
from ncbnet.base.chain import AuditEntry
from ncbnet.notices import services
from ncbnet.notices.models import Notice, NoticeEvent, State, TransitionRefused
from ncbnet.records import services as records

FR = Actor("fr-officer", "FR")
BR = Actor("br-officer", "BR")
GS = Actor("gs-reviewer", gs=True)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def at_the_hub(hub):
    """The global databases and notices are kept at the hub."""


def red(**over):
    data = {
        "subject": {"names": [{"value": "Marc Dupont"}], "date_of_birth": {"year": 1979}},
        "purpose": "prosecution",
        "charges": ["armed robbery"],
        "law": "Code pénal, art. 311-8",
        "max_penalty_years": 20,
        "warrant": {
            "reference": "MA-2026-0042",
            "date": "2026-09-01",
            "authority": "Juge d'instruction, Lyon",
        },
        "facts": {
            "summary": "Robbed a jewellery store at gunpoint with two accomplices.",
            "date": "2026-08-14",
            "place": "Lyon, France",
        },
    }
    data.update(over)
    return data


def submitted(data=None, actor=FR):
    n = services.draft(actor, "red", data or red())
    return services.submit(actor, str(n.pk))


def states(notice):
    return [(e.from_state, e.to_state) for e in NoticeEvent.objects.filter(notice=notice)]


def test_red_notice_from_draft_to_publication():
    n = submitted()
    assert n.state == State.IN_REVIEW and n.flags == []
    assert n.review_due - n.submitted_at == timedelta(hours=24)
    assert list(services.review_queue()) == [n]
    n = services.review(GS, str(n.pk), "approve", "Meets the Rules; judicial data complete.")
    assert n.state == State.PUBLISHED and n.periodic_review_at.year == n.published_at.year + 5
    assert states(n) == [("", "draft"), ("draft", "in_review"), ("in_review", "published")]
    assert list(services.published("red")) == [n]
    assert AuditEntry.objects.filter(action="notices.published", subject="GS").exists()


def test_reviewer_asks_for_changes_and_the_owner_resubmits():
    n = submitted()
    services.review(GS, str(n.pk), "changes", "Add the date of the facts and the issuing court.")
    services.edit(FR, str(n.pk), red(law="Code pénal, art. 311-8 et 311-9"))
    n = services.submit(FR, str(n.pk))
    assert n.state == State.IN_REVIEW
    services.review(GS, str(n.pk), "reject", "Private dispute between business partners.")
    n.refresh_from_db()
    assert n.state == State.REJECTED and n.closed_at
    with pytest.raises(TransitionRefused):
        services.submit(FR, str(n.pk))


def test_a_review_without_a_reason_is_refused():
    n = submitted()
    with pytest.raises(ValidationError) as refused:
        services.review(GS, str(n.pk), "approve", "  ")
    assert "reason" in refused.value.message_dict
    assert Notice.objects.get(pk=n.pk).state == State.IN_REVIEW


def test_only_the_gs_reviews_and_only_the_owner_submits_or_cancels():
    n = services.draft(FR, "red", red())
    with pytest.raises(PermissionDenied):
        services.submit(BR, str(n.pk))
    services.submit(FR, str(n.pk))
    with pytest.raises(PermissionDenied):
        services.review(FR, str(n.pk), "approve", "self-approval")
    with pytest.raises(PermissionDenied):
        services.cancel(BR, str(n.pk), "not mine")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (red(warrant=None), "warrant"),
        (red(charges=[]), "charges"),
        (red(subject={"names": []}), "subject"),
        (red(facts={"summary": "short", "place": "Lyon"}), "facts.summary"),
        ({k: v for k, v in red().items() if k != "law"}, "law"),
    ],
)
def test_a_missing_field_keeps_the_notice_a_draft(data, field):
    n = services.draft(FR, "red", data)
    with pytest.raises(ValidationError) as refused:
        services.submit(FR, str(n.pk))
    assert any(k.startswith(field) for k in refused.value.message_dict), refused.value.message_dict
    assert Notice.objects.get(pk=n.pk).state == State.DRAFT


def test_penalty_below_the_threshold_is_refused():
    with pytest.raises(ValidationError) as refused:
        submitted(red(max_penalty_years=1.5))
    assert "at least 2 years (given: 1.5)" in refused.value.message_dict["max_penalty_years"][0]
    with pytest.raises(ValidationError) as refused:
        submitted(red(purpose="sentence", sentence_remaining_months=4))
    assert "at least 6 months must remain" in refused.value.message_dict["sentence_remaining_months"][0]
    assert submitted(red(purpose="sentence", sentence_remaining_months=6)).state == State.IN_REVIEW


@pytest.mark.parametrize(
    ("summary", "character", "language"),
    [
        ("He organised an opposition protest outside the parliament.", "political", "en"),
        ("Il a participé à une manifestation contre le régime en place.", "political", "fr"),
        ("Acusado de blasfemia por un artículo publicado en línea.", "religious", "es"),
        ("متهم بالفرار من الخدمة العسكرية خلال النزاع.", "military", "ar"),
    ],
)
def test_neutrality_terms_are_flagged_for_the_reviewer(summary, character, language):
    n = submitted(red(facts={"summary": summary, "place": "somewhere"}))
    flags = [f for f in n.flags if f["check"] == "neutrality"]
    assert any(f["character"] == character and f["language"] == language for f in flags), flags
    assert n.state == State.IN_REVIEW  # a flag informs the reviewer; it does not decide


def test_a_likely_duplicate_is_flagged():
    first = submitted()
    services.review(GS, str(first.pk), "approve", "ok")
    second = submitted(actor=BR)
    assert {
        "check": "duplicate",
        "notice": str(first.pk),
        "owner": "FR",
        "state": "published",
    } in second.flags


def test_a_subject_record_must_be_the_owners_persons_record():
    person = records.contribute(BR, "persons", {"names": [{"value": "Ana Lima"}]})
    with pytest.raises(ValidationError) as refused:
        submitted(red(subject={"record_id": str(person.pk)}))
    assert "subject.record_id" in refused.value.message_dict
    mine = records.contribute(
        FR,
        "persons",
        {"names": [{"value": "Marc Dupont"}], "nationalities": ["FR"], "date_of_birth": {"year": 1979}},
    )
    n = submitted(red(subject={"record_id": str(mine.pk)}))
    assert n.title == "Marc Dupont"


def test_periodic_review_warns_six_months_before_then_expires_unless_extended():
    n = submitted()
    services.review(GS, str(n.pk), "approve", "ok")
    other = submitted(red(subject={"names": [{"value": "Luc Martin"}]}))
    services.review(GS, str(other.pk), "approve", "ok")
    assert services.tick() == {"warned": 0, "expired": 0}
    with clock.travel(timedelta(days=365 * 5 - 150)):
        assert services.tick() == {"warned": 2, "expired": 0}
        services.extend(FR, str(other.pk), "Suspect still at large; warrant valid.")
    with clock.travel(timedelta(days=365 * 5 + 2)):
        assert services.tick() == {"warned": 0, "expired": 1}
    n.refresh_from_db()
    other.refresh_from_db()
    assert n.state == State.EXPIRED and other.state == State.PUBLISHED
    assert states(n)[-1] == ("published", "expired")
    with pytest.raises(ValidationError):
        services.extend(FR, str(n.pk), "too late")


def test_owner_cancels_at_any_time_with_a_reason():
    n = submitted()
    services.review(GS, str(n.pk), "approve", "ok")
    with pytest.raises(ValidationError):
        services.cancel(FR, str(n.pk), "")
    n = services.cancel(FR, str(n.pk), "Subject arrested in Spain.")
    assert n.state == State.CANCELLED and list(services.published()) == []
    draft = services.draft(FR, "yellow", {})
    assert services.cancel(FR, str(draft.pk), "Found safe.").state == State.CANCELLED


def test_every_kind_has_its_required_fields():
    cases = {
        "yellow": {
            "subject": {"names": [{"value": "Léa B."}]},
            "place": "Marseille",
            "circumstances": "Left school on foot and did not come home.",
        },
        "blue": {
            "subject": {"names": [{"value": "X"}]},
            "information_sought": "Current address and associates.",
        },
        "black": {
            "description": "Male, about 40, tattoo of an anchor.",
            "found_on": "2026-11-01",
            "place": "Le Havre",
        },
        "green": {
            "subject": {"names": [{"value": "Y"}]},
            "activities": "Repeated online fraud against elderly.",
        },
        "orange": {"threat": "Parcel bombs disguised as printer cartridges."},
        "purple": {"modus_operandi": "Cocaine dissolved in the plastic of suitcases."},
        "silver": {
            "subject": {"names": [{"value": "Z"}]},
            "assets": "Villas bought through shell companies.",
        },
        "unsc": {"subject": {"names": [{"value": "W"}]}, "regime": "1267", "measures": ["asset_freeze"]},
    }
    for kind, data in cases.items():
        n = services.draft(FR, kind, data)
        assert services.submit(FR, str(n.pk)).state == State.IN_REVIEW, kind
        with pytest.raises(ValidationError):
            services.submit(FR, str(services.draft(FR, kind, {}).pk))


def test_diffusions_are_recorded_then_checked_by_the_gs():
    d = services.diffuse(FR, "red", ["br", "KE"], red())
    assert d.recipients == ["BR", "KE"] and d.checked_at is None
    with pytest.raises(ValidationError):
        services.diffuse(FR, "red", ["XX"], red())
    with pytest.raises(ValidationError):
        services.diffuse(FR, "red", ["BR"], red(max_penalty_years=1))
    with pytest.raises(PermissionDenied):
        services.check_diffusion(FR, str(d.pk), "compliant", "self-check")
    d = services.check_diffusion(GS, str(d.pk), "withdrawn", "Political character: opposition activity.")
    assert d.check_outcome == "withdrawn"
    assert AuditEntry.objects.filter(action="diffusions.check").exists()


def test_the_hubs_network_worker_runs_the_periodic_review(settings):
    from ncbnet.network import handlers

    jobs = {name: (seconds, fn) for name, seconds, fn in handlers.periodic()}
    seconds, job = jobs["notices.periodic_review"]
    assert seconds == 600
    n = submitted()
    services.review(GS, str(n.pk), "approve", "ok")
    with clock.travel(timedelta(days=365 * 5 + 2)):
        assert job() == {"warned": 1, "expired": 1}
        settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "ncb", "FR"
        assert job() is None  # NCB nodes do not review notices
