"""A possible match below the threshold: a name close to a record's but not close enough to be a
hit is shown to the officer with its explanation, on the page and through the API, and never
becomes a hit report to the owner."""

import pytest

from ncbnet.base.chain import AuditEntry
from ncbnet.conftest import sign_in
from ncbnet.hits import services as hits
from ncbnet.hits.models import HitReport
from ncbnet.hits.schemas import BELOW_THRESHOLD, POSSIBLE_MATCH
from ncbnet.screening import names, services
from ncbnet.screening.tests.test_persons import person

pytestmark = pytest.mark.django_db

HELD, ASKED = "Youssef Haddad", "Yusuf Haddad"  # below the threshold, above the possible tier's


def test_the_pair_is_a_possible_match_below_the_threshold():
    c = names.compare(ASKED, HELD)
    assert names.POSSIBLE <= c.score < names.THRESHOLD
    assert c.possible and not c.match
    assert not names.compare("Ivan Petrov", "Olga Petrova").possible


def test_a_possible_match_is_shown_with_why_and_never_reported(user_factory):
    officer = user_factory("agency", "query")
    close = person("KE", HELD)
    exact = person("BR", "Yusuf Haddad")
    person("BR", "Olga Petrova")
    result = services.person(officer, ASKED, context={"reason": "entry", "place": "CDG", "urgent": True})
    assert [h.record for h in result.hits] == [str(exact.pk)]
    assert [h.record for h in result.possible] == [str(close.pk)]
    below = result.possible[0]
    assert below.status == BELOW_THRESHOLD and below.report is None and below.due_at is None
    assert below.explanation[0].startswith(f"name: {HELD}")
    assert [r.record_id for r in HitReport.objects.all()] == [exact.pk]  # the hit only
    entry = AuditEntry.objects.filter(action="screening.person").get()
    assert entry.detail["hits"] == 1 and entry.detail["possible"] == 1


def test_the_hit_reports_refuse_a_possible_match(user_factory):
    officer = user_factory("agency", "query")
    person("KE", HELD)
    [below] = services.person(officer, ASKED).possible
    with pytest.raises(ValueError, match="never reported"):
        hits.report_all(officer, [(below, {"name": ASKED})], {"reason": "entry"})
    assert not HitReport.objects.exists()
    assert below.status == BELOW_THRESHOLD


def test_with_a_lower_threshold_the_officer_asked_for_it_is_a_hit(user_factory):
    officer = user_factory("agency", "query")
    close = person("KE", HELD)
    result = services.person(officer, ASKED, threshold=0.8)
    assert [h.record for h in result.hits] == [str(close.pk)] and result.possible == []
    assert result.hits[0].status == POSSIBLE_MATCH and HitReport.objects.count() == 1


def test_the_api_gives_possible_matches_apart_from_the_hits(client, user_factory):
    client.force_login(user_factory("system", "system"))
    close = person("KE", HELD)
    response = client.post("/api/v1/screening/persons", {"name": ASKED}, content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["hits"] == []
    [below] = body["possible"]
    assert below["record"] == str(close.pk) and below["status"] == BELOW_THRESHOLD
    assert below["report"] is None and any("spelling variant" in line for line in below["explanation"])
    assert not HitReport.objects.exists()


def test_the_page_shows_a_possible_match_below_the_threshold_with_why(client, user_factory):
    user_factory("agency", "query", username="fr-border")
    sign_in(client, "fr-border")
    person("KE", HELD)
    page = client.post("/screening/", {"name": ASKED, "reason": "entry"}).content.decode()
    assert "Possible match below the threshold" in page
    assert "Not reported to the owner NCB" in page
    assert "youssef ≈ yusuf" in page or "yusuf ≈ youssef" in page
    assert "Possible match — awaiting confirmation by the owner." not in page  # no hit
    assert not HitReport.objects.exists()
