"""Training gates the network's services: a user whose role needs a course they hold no valid
certificate for is refused a search, a manifest and a message, with a message naming the courses
to take (on the page, in the API's problem details), and is allowed once the certificate arrives;
an expired or revoked certificate gates again. The GS's staff and machine accounts are not gated."""

from datetime import timedelta

import pytest

from ncbnet.base import clock, gates
from ncbnet.conftest import sign_in
from ncbnet.messaging import services as messaging
from ncbnet.screening import manifests
from ncbnet.screening import services as screening
from ncbnet.training import services

from . import helpers
from .helpers import accept

pytestmark = pytest.mark.django_db


@pytest.fixture
def required(peers):
    course = helpers.from_hub(peers)
    helpers.requirements(peers, {"query": ["INFOSEC"], "officer": ["INFOSEC"]})
    return course


def certify(peers, learner, course, **kw):
    e = helpers.passed(learner, course)
    assert (
        accept(peers, services.CERTIFICATE, helpers.certificate_body(e, helpers.badge(peers, e, **kw)))
        == "accepted"
    )
    return e


def test_a_user_without_the_course_is_refused_a_search_and_allowed_after_passing(
    peers, required, user_factory
):
    agent = user_factory("agency", "query", username="fr-border")
    with pytest.raises(gates.GateRefused) as refused:
        screening.person(agent, "Daniel Otieno")
    assert "INFOSEC (Information security awareness)" in str(refused.value)
    assert "Training" in str(refused.value)
    with pytest.raises(gates.GateRefused):
        screening.document(agent, "X1234567", "KE")
    with pytest.raises(gates.GateRefused):
        manifests.submit(agent, "m.csv", b"name\nDaniel Otieno\n", {})
    certify(peers, agent, required)
    assert screening.person(agent, "Daniel Otieno").hits == []


def test_messages_are_gated_too(peers, required, user_factory):
    officer = user_factory("ncb", "officer")
    with pytest.raises(gates.GateRefused, match="INFOSEC"):
        messaging.send(officer, messaging.Draft(to=["KE"], subject="s", body="b"))


def test_an_expired_or_revoked_certificate_gates_again(peers, required, user_factory):
    agent = user_factory("agency", "query")
    certify(peers, agent, required, days=10)
    assert services.missing_courses(agent) == []
    with clock.travel(timedelta(days=11)):
        assert services.missing_courses(agent) == ["INFOSEC"]
    index = agent.certificates.get().status_index
    assert accept(peers, services.STATUS, helpers.status_body(peers, {index})) == "accepted"
    assert services.missing_courses(agent) == ["INFOSEC"]


def test_roles_without_requirements_the_gs_and_machines_are_not_gated(peers, required, user_factory):
    head = user_factory("ncb", "head")
    system = user_factory("system", "system", username="fr-border-system")
    assert services.missing_courses(head) == []
    assert services.missing_courses(system) == []
    screening.person(system, "Daniel Otieno")


def test_the_refusal_is_shown_on_the_page_and_in_the_api(client, peers, required, user_factory):
    user_factory("agency", "query", username="fr-border")
    sign_in(client, "fr-border")
    page = client.post("/screening/", {"name": "Daniel Otieno"})
    assert page.status_code == 403
    assert "INFOSEC (Information security awareness)" in page.content.decode()
    training = client.get("/training/").content.decode()
    assert "Training required." in training and "INFOSEC" in training
    problem = client.post(
        "/api/v1/screening/persons", {"name": "Daniel Otieno"}, content_type="application/json"
    )
    assert problem.status_code == 403 and "INFOSEC" in problem.json()["detail"]
