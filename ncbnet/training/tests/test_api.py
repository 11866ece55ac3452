"""The training API: the catalogue, the NCB's enrolments, a learner's progress and quiz, the
statements, certificates and their verification; problem details with the field at fault."""

import pytest

from ncbnet.training import services
from ncbnet.training.models import Certificate

from . import helpers
from .helpers import RIGHT, accept

pytestmark = pytest.mark.django_db


def test_a_course_taken_through_the_api(client, peers, user_factory):
    helpers.from_hub(peers)
    learner = user_factory("agency", "query", username="fr-learner")
    client.force_login(user_factory("ncb", "officer"))
    assert [c["code"] for c in client.get("/api/v1/training/courses").json()] == ["INFOSEC"]
    made = client.post(
        "/api/v1/training/enrolments",
        {"course": "INFOSEC", "usernames": ["fr-learner"]},
        content_type="application/json",
    )
    assert made.status_code == 201
    eid = made.json()[0]["id"]
    nobody = client.post(
        "/api/v1/training/enrolments", {"course": "NOPE", "role": "query"}, content_type="application/json"
    )
    assert nobody.status_code == 404
    client.force_login(learner)
    for key in ("passwords", "handling"):
        assert client.post(f"/api/v1/training/enrolments/{eid}/modules/{key}").status_code == 200
    bad = client.post(
        f"/api/v1/training/enrolments/{eid}/attempts",
        {"answers": {"Q!": ["a"]}},
        content_type="application/json",
    )
    assert bad.status_code == 422
    attempt = client.post(
        f"/api/v1/training/enrolments/{eid}/attempts", {"answers": RIGHT}, content_type="application/json"
    )
    assert attempt.json()["passed"] and attempt.json()["enrolment"]["status"] == "completed"
    assert [
        s["verb"]["display"]["en"] for s in client.get(f"/api/v1/training/enrolments/{eid}/statements").json()
    ][-1] == "terminated"
    e = services.enrolment(learner, eid)
    accept(peers, services.CERTIFICATE, helpers.certificate_body(e, helpers.badge(peers, e)))
    (cert,) = client.get("/api/v1/training/certificates").json()
    assert cert["in_force"] and cert["credential"]["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    verdict = client.post(
        "/api/v1/training/certificates/verify", cert["credential"], content_type="application/json"
    ).json()
    assert verdict["valid"] and not verdict["revocation_checked"]
    cert["credential"]["validUntil"] = "2099-01-01T00:00:00Z"
    verdict = client.post(
        "/api/v1/training/certificates/verify", cert["credential"], content_type="application/json"
    ).json()
    assert not verdict["valid"]
    assert client.get(f"/api/v1/training/certificates/{Certificate.objects.get().pk}").status_code == 200


def test_the_gs_publishes_through_the_api(client, hub, peers, user_factory):
    client.force_login(user_factory("gs", "trainer"))
    data = helpers.course_data()
    made = client.post("/api/v1/training/courses", data, content_type="application/json")
    assert made.status_code == 201 and made.json()["version"] == 1
    data["content"]["quiz"]["pass_mark"] = 0
    bad = client.post("/api/v1/training/courses", data, content_type="application/json")
    assert bad.status_code == 422 and "content.quiz.pass_mark" in str(bad.json()["errors"])
    req = client.put(
        "/api/v1/training/requirements",
        {"requirements": {"officer": ["INFOSEC"]}},
        content_type="application/json",
    )
    assert req.json() == {"officer": ["INFOSEC"]}
