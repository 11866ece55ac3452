"""Training's pages as each person uses them: the learner takes a course (modules, material, the
quiz, the statements' export), the bureau enrols people and sees who is not compliant, the GS's
training staff publish a course and requirements and revoke; the printable certificate (with its
QR code as SVG) and the verify page pass the content security policy; others are refused."""

import json
import re

import pytest

from ncbnet.analytics.tests.test_pages import passes_the_csp
from ncbnet.training import services
from ncbnet.training.models import Certificate, Enrolment, Requirement

from . import helpers
from .helpers import accept, course_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(peers):
    c = helpers.from_hub(peers)
    helpers.requirements(peers, {"query": ["INFOSEC"]})
    return c


def test_a_learner_takes_a_course_and_prints_the_certificate(client, peers, course, user_factory):
    learner = user_factory("agency", "query", username="fr-learner")
    client.force_login(learner)
    home = passes_the_csp(client.get("/training/"))
    assert "Training required." in home and "INFOSEC — Information security awareness" in home
    enrolled = client.post("/training/courses/INFOSEC/enrol/")  # required: self-enrolment is allowed
    e = Enrolment.objects.get()
    assert enrolled.url == f"/training/enrolments/{e.pk}/"
    passes_the_csp(client.get(enrolled.url))
    page = passes_the_csp(client.get(f"/training/enrolments/{e.pk}/modules/passwords/"))
    assert "Never share your password." in page
    material = client.get(f"/training/enrolments/{e.pk}/modules/passwords/material/0")
    assert material.content == b"1. Lock your screen.\n" and "attachment" in material["Content-Disposition"]
    client.get(f"/training/enrolments/{e.pk}/modules/handling/")
    quiz = passes_the_csp(client.get(f"/training/enrolments/{e.pk}/quiz/"))
    assert 'type="radio" name="q1"' in quiz and 'type="checkbox" name="q2"' in quiz
    failed = client.post(f"/training/enrolments/{e.pk}/quiz/", {"q1": "a", "q2": ["a"]}).content.decode()
    assert "Not passed: 0%, the pass mark is 100%" in failed
    done = client.post(f"/training/enrolments/{e.pk}/quiz/", {"q1": "b", "q2": ["a", "c"]}).content.decode()
    assert "The course is complete" in done
    exported = json.loads(client.get(f"/training/enrolments/{e.pk}/statements.json").content)
    assert exported[-1]["verb"]["display"]["en"] == "terminated"
    e.refresh_from_db()
    accept(peers, services.CERTIFICATE, helpers.certificate_body(e, helpers.badge(peers, e)))
    cert = Certificate.objects.get()
    printed = passes_the_csp(client.get(f"/training/certificates/{cert.pk}/"))
    assert "<svg" in printed and "Verified against the hub" in printed
    downloaded = json.loads(client.get(f"/training/certificates/{cert.pk}.json").content)
    assert downloaded == cert.credential
    verified = passes_the_csp(client.post("/training/verify/", {"credential": json.dumps(downloaded)}))
    assert "Valid." in verified
    downloaded["credentialSubject"]["name"] = "Someone else"
    forged = client.post("/training/verify/", {"credential": json.dumps(downloaded)}).content.decode()
    assert "Not valid." in forged and "the signature does not match" in forged
    assert "not JSON" in client.post("/training/verify/", {"credential": "{"}).content.decode()
    assert "You hold every certificate your role needs." in client.get("/training/").content.decode()


def test_the_head_enrols_by_agency_and_sees_who_is_not_compliant(
    client, course, user_factory, agency_factory
):
    border = agency_factory("Police aux frontières", "border")
    user_factory("agency", "query", username="fr-border", agency=border)
    client.force_login(user_factory("ncb", "head"))
    page = passes_the_csp(client.get("/training/bureau/"))
    assert re.search(r"fr-border \(Police aux frontières\)</th><td>[^<]*</td><td>INFOSEC</td>", page)
    client.post("/training/bureau/", {"course": "INFOSEC", "how": "agency", "agency": str(border.pk)})
    assert Enrolment.objects.get().user.username == "fr-border"
    error = client.post(
        "/training/bureau/", {"course": "INFOSEC", "how": "people", "usernames": "ghost"}, follow=True
    )
    assert "Not people of this bureau: ghost" in error.content.decode()


def test_the_gs_publishes_sets_requirements_and_revokes(client, hub, peers, user_factory):
    client.force_login(user_factory("gs", "trainer", username="gs-trainer"))
    passes_the_csp(client.get("/training/gs/"))
    client.post("/training/gs/", {"action": "course", "course": json.dumps(course_data())})
    client.post(
        "/training/gs/", {"action": "requirements", "role-officer": "INFOSEC", "role-query": "INFOSEC"}
    )
    assert set(Requirement.objects.values_list("role", flat=True)) == {"officer", "query"}
    bad = client.post("/training/gs/", {"action": "course", "course": "{"}, follow=True).content.decode()
    assert "The course is not JSON." in bad
    c = services.course("INFOSEC")
    body = {
        "registration": "01930000-0000-7000-8000-000000000001",
        "username": "fr-learner",
        "name": "F L",
        "course_code": "INFOSEC",
        "course_version": c.version,
        "modules_viewed": c.module_keys(),
        "answers": helpers.RIGHT,
        "completed_at": "2026-01-01T00:00:00+00:00",
    }
    assert accept(peers, services.COMPLETION, body, sender="FR") == "accepted"
    cert = Certificate.objects.get()
    page = passes_the_csp(client.get("/training/gs/"))
    assert "<td>FR</td>" in page or ">FR</th>" in page
    client.post(f"/training/gs/certificates/{cert.pk}/revoke/", {"reason": "copied answers"})
    cert.refresh_from_db()
    assert cert.revocation_reason == "copied answers"


@pytest.mark.parametrize(
    ("path", "kind", "role"),
    [
        ("/training/", "system", "system"),
        ("/training/bureau/", "agency", "query"),
        ("/training/gs/", "ncb", "head"),
    ],
)
def test_others_are_refused(client, user_factory, path, kind, role):
    client.force_login(user_factory(kind, role))
    assert client.get(path).status_code == 403
