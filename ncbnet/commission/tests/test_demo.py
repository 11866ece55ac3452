"""The demo's requests to the Commission: one waiting, one admissible with its clock running."""

import pytest

from ncbnet.commission.models import Request
from ncbnet.commission.tests.conftest import csrf_client, follow
from ncbnet.demo import commission as demo
from ncbnet.demo import people
from ncbnet.demo.credentials import DEMO_CCF_SECRET

pytestmark = pytest.mark.django_db(databases=["default", "commission"])


def test_the_demo_files_two_requests_once_that_open_with_the_demo_secret(hub):
    people.seed()
    references = demo.seed()
    assert demo.seed() == references and Request.objects.count() == 2
    states = dict(Request.objects.values_list("reference", "state"))
    assert sorted(states.values()) == ["admissible", "filed"]
    examined = Request.objects.get(state="admissible")
    page = follow(csrf_client(), examined.reference, DEMO_CCF_SECRET).content.decode()
    assert "Declared admissible" in page and "Decision due by" in page
