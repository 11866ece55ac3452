"""At the hub: the GS's training staff author courses and set requirements (sent to every node);
a node's completion is re-graded with the hub's own course (a node's grade is never trusted) and
an Open Badges 3.0 credential signed eddsa-jcs-2022 with the hub's key is issued and sent back, or
the node is told why not; revocation by the signed status list; coverage per country."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from ncbnet.base import clock
from ncbnet.base.chain import AuditEntry
from ncbnet.base.ids import uuid7
from ncbnet.network.models import NodeKey, OutboxEnvelope
from ncbnet.training import credentials, services
from ncbnet.training.models import Certificate, Completion, Course, Requirement

from .helpers import RIGHT, WRONG, accept, course_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def trainer(hub, user_factory):
    return user_factory("gs", "trainer", username="gs-trainer")


def test_the_gs_authors_a_course_and_every_node_is_sent_it(trainer, peers):
    c = services.author(trainer, course_data())
    assert (c.code, c.version, c.authored_by, c.received_at) == ("INFOSEC", 1, "gs-trainer", None)
    sent = OutboxEnvelope.objects.get(kind=services.COURSE)
    assert sorted(sent.recipients) == sorted(
        n for n in NodeKey.objects.values_list("node", flat=True) if n != "hub"
    )
    assert AuditEntry.objects.filter(action="training.course_published").count() == 1
    again = services.author(trainer, course_data(title={"en": "Information security, 2027"}))
    assert again.pk == c.pk and again.version == 2


@pytest.mark.parametrize(("kind", "role"), [("gs", "analyst"), ("ncb", "head"), ("gs", "network_admin")])
def test_only_the_training_staff_author(user_factory, settings, kind, role):
    if kind == "gs":  # each account where it may exist: the GS's at the hub, a bureau's on its node
        settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "hub", None
    user = user_factory(kind, role)
    with pytest.raises(PermissionDenied):
        services.author(user, course_data())


def test_a_course_that_is_not_one_is_refused_with_the_field(trainer):
    bad = course_data()
    bad["content"]["quiz"]["pass_mark"] = 120
    with pytest.raises(ValidationError, match="pass_mark"):
        services.author(trainer, bad)
    assert not Course.objects.exists()


def test_requirements_name_known_courses_and_reach_every_node(trainer, peers):
    services.author(trainer, course_data())
    with pytest.raises(ValidationError, match="No such course: RULES"):
        services.set_requirements(trainer, {"officer": ["INFOSEC", "RULES"]})
    assert services.set_requirements(trainer, {"officer": ["INFOSEC"], "query": ["INFOSEC"]}) == {
        "officer": ["INFOSEC"],
        "query": ["INFOSEC"],
    }
    assert Requirement.objects.count() == 2
    assert OutboxEnvelope.objects.filter(kind=services.REQUIREMENTS).count() == 1


def completion(course, answers, **over):
    return {
        "registration": str(uuid7()),
        "username": "fr-learner",
        "name": "Fatou Learner",
        "course_code": course.code,
        "course_version": course.version,
        "modules_viewed": course.module_keys(),
        "answers": answers,
        "completed_at": clock.now().isoformat(),
        **over,
    }


def test_a_completion_is_regraded_and_a_signed_credential_issued(trainer, peers):
    course = services.author(trainer, course_data())
    body = completion(course, RIGHT)
    assert accept(peers, services.COMPLETION, body, sender="FR") == "accepted"
    done = Completion.objects.get()
    assert done.passed and done.score == 100 and done.node == "FR"
    cert = Certificate.objects.get()
    doc = cert.credential
    assert doc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert doc["issuer"]["id"] == credentials.ISSUER
    assert doc["credentialSubject"]["id"] == "urn:ncbnet:FR:user:fr-learner"
    assert doc["credentialSubject"]["achievement"]["criteria"]["narrative"]
    assert doc["credentialStatus"]["type"] == "BitstringStatusListEntry"
    assert doc["proof"]["cryptosuite"] == "eddsa-jcs-2022" and doc["proof"]["proofValue"].startswith("z")
    assert (cert.valid_until - cert.valid_from) == timedelta(days=1461)
    assert credentials.verify(doc, None).valid
    sent = OutboxEnvelope.objects.get(kind=services.CERTIFICATE)
    assert sent.recipients == ["FR"]


def test_wrong_answers_are_refused_whatever_the_node_says(trainer, peers):
    course = services.author(trainer, course_data())
    assert accept(peers, services.COMPLETION, completion(course, WRONG), sender="FR") == "accepted"
    done = Completion.objects.get()
    assert not done.passed and "re-graded at the GS: 0%" in done.reason
    assert not Certificate.objects.exists()
    assert OutboxEnvelope.objects.filter(kind=services.CERTIFICATE).count() == 1  # the refusal, to FR
    assert AuditEntry.objects.filter(action="training.completion_refused").exists()


def test_modules_not_viewed_or_an_old_version_are_refused(trainer, peers):
    course = services.author(trainer, course_data())
    accept(peers, services.COMPLETION, completion(course, RIGHT, modules_viewed=["passwords"]), sender="FR")
    accept(peers, services.COMPLETION, completion(course, RIGHT, course_version=7), sender="FR")
    reasons = sorted(Completion.objects.values_list("reason", flat=True))
    assert reasons == ["not every module was viewed", "the course is at version 1: take it again"]
    assert not Certificate.objects.exists()


def test_a_completion_sent_twice_is_kept_once(trainer, peers):
    course = services.author(trainer, course_data())
    body = completion(course, RIGHT)
    assert accept(peers, services.COMPLETION, body, sender="FR") == "accepted"
    assert accept(peers, services.COMPLETION, body, sender="FR") == "quarantined"
    assert Certificate.objects.count() == 1


@hypothesis_settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(
        [
            ("validUntil",),
            ("validFrom",),
            ("credentialSubject", "id"),
            ("credentialSubject", "name"),
            ("credentialSubject", "achievement", "id"),
            ("credentialStatus", "statusListIndex"),
            ("issuer", "name"),
        ]
    ),
    value=st.text(min_size=1, max_size=20),
)
def test_any_change_to_a_signed_credential_breaks_it(trainer, peers, path, value):
    if not Certificate.objects.exists():
        course = services.author(trainer, course_data())
        accept(peers, services.COMPLETION, completion(course, RIGHT), sender="FR")
    doc = json.loads(json.dumps(Certificate.objects.get().credential))
    place = doc
    for step in path[:-1]:
        place = place[step]
    if place[path[-1]] == value:
        return
    place[path[-1]] = value
    verdict = credentials.verify(doc, None)
    assert not verdict.valid and "signature does not match" in verdict.reasons[0]


def test_revocation_sets_the_bit_of_the_signed_list(trainer, peers):
    course = services.author(trainer, course_data())
    accept(peers, services.COMPLETION, completion(course, RIGHT), sender="FR")
    accept(peers, services.COMPLETION, completion(course, RIGHT, username="fr-other"), sender="FR")
    first, second = Certificate.objects.order_by("status_index")
    assert (first.status_index, second.status_index) == (0, 1)
    with pytest.raises(ValidationError):
        services.revoke(trainer, first.pk, "")
    services.revoke(trainer, first.pk, "issued on answers copied from another officer")
    listed = services._status()
    assert credentials.list_problem(listed) is None
    assert credentials.is_set(listed, 0) and not credentials.is_set(listed, 1)
    assert services.verify(trainer, first.credential).reasons == ["revoked by the General Secretariat"]
    assert services.verify(trainer, second.credential).valid
    assert OutboxEnvelope.objects.filter(kind=services.STATUS).count() == 1
    cover = services.coverage(trainer)
    assert cover == [{"country": "FR", "course": "INFOSEC", "valid": 1, "expired": 0, "revoked": 1}]


def test_an_expired_credential_fails(trainer, peers):
    course = services.author(trainer, course_data(validity_days=30))
    accept(peers, services.COMPLETION, completion(course, RIGHT), sender="FR")
    doc = Certificate.objects.get().credential
    with clock.travel(timedelta(days=31)):
        verdict = credentials.verify(doc, None)
    assert not verdict.valid and verdict.reasons[0].startswith("expired on")


def test_a_node_joining_gets_the_catalogue_the_requirements_and_the_status_list(trainer, peers):
    course = services.author(trainer, course_data())
    services.set_requirements(trainer, {"officer": ["INFOSEC"]})
    accept(peers, services.COMPLETION, completion(course, RIGHT), sender="FR")
    services.revoke(trainer, Certificate.objects.get().pk, "test")
    OutboxEnvelope.objects.all().delete()
    services.send_all_to("KE")
    kinds = sorted(OutboxEnvelope.objects.values_list("kind", flat=True))
    assert kinds == sorted([services.COURSE, services.REQUIREMENTS, services.STATUS])
