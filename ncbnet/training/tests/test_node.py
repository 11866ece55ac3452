"""On a bureau's node: the NCB enrols people (one by one, by role, by agency), users enrol themselves
in open courses, progress is kept as xAPI-style statements, the quiz is graded here and a complete
course is sent to the hub; the hub's answer is kept (the certificate, or why not); reminders before
expiry re-enrol the holder."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ncbnet.base import clock
from ncbnet.base.chain import AuditEntry
from ncbnet.network.models import OutboxEnvelope
from ncbnet.training import services
from ncbnet.training.models import Certificate, Enrolment, Statement

from . import helpers
from .helpers import RIGHT, WRONG, accept

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(peers):
    return helpers.from_hub(peers)


@pytest.fixture
def officer(user_factory):
    return user_factory("ncb", "officer", username="fr-officer")


def test_the_ncb_enrols_one_by_one_by_role_and_by_agency(course, officer, user_factory, agency_factory):
    border = agency_factory("Police aux frontières", "border")
    customs = agency_factory("Douane", "customs")
    a = user_factory("agency", "query", username="a1", agency=border)
    b = user_factory("agency", "contribute", username="b1", agency=border)
    c = user_factory("agency", "query", username="c1", agency=customs)
    assert [e.user for e in services.enrol(officer, "INFOSEC", usernames=["a1"])] == [a]
    assert {e.user for e in services.enrol(officer, "INFOSEC", by_role="query")} == {c}  # a1 already enrolled
    assert {e.user for e in services.enrol(officer, "INFOSEC", agency_id=border.pk)} == {b}
    assert Enrolment.objects.filter(status="active").count() == 3
    assert set(Enrolment.objects.values_list("method", flat=True)) == {"manual", "role", "agency"}
    with pytest.raises(ValidationError, match="Not people of this bureau: nobody"):
        services.enrol(officer, "INFOSEC", usernames=["nobody"])
    with pytest.raises(PermissionDenied):
        services.enrol(a, "INFOSEC", usernames=["b1"])
    assert AuditEntry.objects.filter(action="training.enrol").count() == 3


def test_self_enrolment_only_in_open_or_required_courses(peers, user_factory):
    helpers.from_hub(peers, "RULES", open_enrolment=True)
    helpers.from_hub(peers, "SCREEN")
    learner = user_factory("agency", "query")
    e = services.self_enrol(learner, "RULES")
    assert e.method == "self"
    with pytest.raises(ValidationError):
        services.self_enrol(learner, "RULES")
    with pytest.raises(PermissionDenied, match="not open"):
        services.self_enrol(learner, "SCREEN")
    helpers.requirements(peers, {"query": ["SCREEN"]})
    assert services.self_enrol(learner, "SCREEN").course.code == "SCREEN"


def test_progress_statements_and_completion_sent_to_the_hub(course, officer, user_factory):
    learner = user_factory("agency", "query", username="fr-learner")
    (e,) = services.enrol(officer, "INFOSEC", usernames=["fr-learner"])
    services.open_module(learner, e.pk, "passwords")
    e.refresh_from_db()
    assert e.progress() == 33
    failed = services.attempt(learner, e.pk, WRONG)
    assert not failed.passed and failed.score == 0
    services.open_module(learner, e.pk, "handling")
    assert not OutboxEnvelope.objects.filter(kind=services.COMPLETION).exists()
    assert services.attempt(learner, e.pk, RIGHT).passed
    e.refresh_from_db()
    assert (e.status, e.certificate, e.attempts, e.best_score) == ("completed", "pending", 2, 100)
    sent = OutboxEnvelope.objects.get(kind=services.COMPLETION)
    assert sent.recipients == ["hub"]
    verbs = [s["verb"]["display"]["en"] for s in services.statements(learner, e.pk)]
    assert verbs == [
        "launched",
        "initialized",
        "completed",
        "failed",
        "completed",
        "passed",
        "completed",
        "terminated",
    ]
    exported = services.statements(learner, e.pk)
    assert {s["context"]["registration"] for s in exported} == {str(e.pk)}
    assert exported[3]["result"] == {"score": {"scaled": 0.0}, "success": False}
    with pytest.raises(LookupError):
        services.statements(officer, e.pk)  # another user's enrolment is not theirs to read
    with pytest.raises(ValidationError, match="Completed"):
        services.attempt(learner, e.pk, RIGHT)


def test_answers_out_of_bounds_are_refused(course, officer, user_factory):
    learner = user_factory("agency", "query", username="fr-learner")
    (e,) = services.enrol(officer, "INFOSEC", usernames=["fr-learner"])
    with pytest.raises(ValidationError):
        services.attempt(learner, e.pk, {"q1": "b"})
    with pytest.raises(ValidationError):
        services.attempt(learner, e.pk, {f"q{i}": ["a"] for i in range(100)})
    assert not Statement.objects.filter(verb__in=["passed", "failed"]).exists()


def test_the_hubs_refusal_puts_the_learner_back_to_the_quiz(peers, course, user_factory):
    learner = user_factory("agency", "query", username="fr-learner")
    e = helpers.passed(learner, course)
    body = {**helpers.certificate_body(e, None, "notpassing"), "reason": "re-graded at the GS: 50%"}
    assert accept(peers, services.CERTIFICATE, body) == "accepted"
    e.refresh_from_db()
    assert (e.status, e.certificate, e.refusal) == ("active", "notpassing", "re-graded at the GS: 50%")
    assert services.attempt(learner, e.pk, RIGHT).passed


def test_abandon(course, officer, user_factory):
    learner = user_factory("agency", "query", username="fr-learner")
    (e,) = services.enrol(officer, "INFOSEC", usernames=["fr-learner"])
    services.abandon(learner, e.pk)
    assert Statement.objects.get(enrolment=e).verb == "abandoned"
    assert len(services.enrol(officer, "INFOSEC", usernames=["fr-learner"])) == 1  # enrolled again


def test_a_new_version_asks_for_a_new_enrolment(peers, course, officer, user_factory):
    learner = user_factory("agency", "query", username="fr-learner")
    (e,) = services.enrol(officer, "INFOSEC", usernames=["fr-learner"])
    helpers.accept(peers, services.COURSE, {**helpers.course_body(), "id": str(course.pk), "version": 2})
    with pytest.raises(ValidationError, match="new version"):
        services.open_module(learner, e.pk, "passwords")


def test_a_reminder_before_expiry_re_enrols_the_holder_once(peers, user_factory):
    course = helpers.from_hub(peers, validity_days=60)
    learner = user_factory("agency", "query", username="fr-learner")
    e = helpers.passed(learner, course)
    accept(peers, services.CERTIFICATE, helpers.certificate_body(e, helpers.badge(peers, e, days=60)))
    assert services.remind() == 0
    with clock.travel(timedelta(days=31)):
        assert services.remind() == 1
        assert services.remind() == 0
    renewal = Enrolment.objects.get(status="active")
    assert renewal.method == "renewal" and renewal.user == learner
    assert Certificate.objects.get().reminded_at is not None
    assert AuditEntry.objects.filter(action="training.reminder").count() == 1


def test_an_enrolment_ends_on_its_end_date(course, officer, user_factory, client):
    learner = user_factory("agency", "query", username="fr-learner")
    with pytest.raises(ValidationError, match="time to come"):
        services.enrol(officer, "INFOSEC", usernames=["fr-learner"], end=clock.now() - timedelta(days=1))
    (e,) = services.enrol(officer, "INFOSEC", usernames=["fr-learner"], end=clock.now() + timedelta(days=7))
    services.open_module(learner, e.pk, "passwords")
    with clock.travel(timedelta(days=8)), pytest.raises(ValidationError, match="ended on"):
        services.open_module(learner, e.pk, "handling")
    client.force_login(officer)
    page = client.post(
        "/training/bureau/",
        {"course": "INFOSEC", "how": "people", "usernames": "fr-learner", "end": "31/12"},
        follow=True,
    )
    assert "Write the last day as YYYY-MM-DD." in page.content.decode()
