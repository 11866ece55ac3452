"""Published notices listed and read, through the API and the page, with their filters (kind,
owner, the subject's name in any script, nationality, date of publication) and paging: at the hub
every published notice, on a node its replica (the diffusions sent to it included). Reads are
audited."""

from datetime import timedelta

import pytest

from ncbnet.base import clock
from ncbnet.base.actor import Actor
from ncbnet.base.chain import AuditEntry
from ncbnet.conftest import sign_in
from ncbnet.notices import replication, services
from ncbnet.notices.models import Notice, ReplicaNotice
from ncbnet.notices.tests.test_diffusions import diffusion as send_diffusion
from ncbnet.notices.tests.test_notices import GS, red
from ncbnet.notices.tests.test_requests import to_self

pytestmark = pytest.mark.django_db

FR, KE = Actor("fr-officer", "FR"), Actor("ke-officer", "KE")


def yellow(name, script="Latn", nationalities=("FR",), latin=None):
    names = [{"value": name, "script": script, "kind": "primary"}]
    if latin:
        names.append({"value": latin, "script": "Latn", "kind": "latin"})
    return {
        "subject": {"names": names, "date_of_birth": {"year": 2009}, "nationalities": list(nationalities)},
        "place": "Marseille",
        "circumstances": "Left school and did not come home.",
    }


def publish(actor, kind, data):
    n = services.submit(actor, str(services.draft(actor, kind, data).pk))
    return services.review(GS, str(n.pk), "approve", "Meets the Rules.")


@pytest.fixture
def published(hub):
    """Three notices published on three days."""
    a = publish(FR, "red", red())
    with clock.travel(timedelta(days=10)):
        b = publish(FR, "yellow", yellow("Amira Haddad", nationalities=("FR", "DZ")))
    with clock.travel(timedelta(days=20)):
        c = publish(
            KE, "yellow", yellow("أميرة حداد", script="Arab", nationalities=("KE",), latin="Amira Hadad")
        )
    return a, b, c


def ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def test_the_hub_lists_published_notices_with_filters(client, user_factory, published):
    a, b, c = (str(n.pk) for n in published)
    services.draft(
        FR, "blue", {"subject": {"names": [{"value": "Not Published"}]}, "information_sought": "x" * 10}
    )
    client.force_login(user_factory("gs", "analyst", username="gs-analyst"))
    get = lambda **q: ids(client.get("/api/v1/notices", q))  # noqa: E731
    assert get() == [c, b, a]  # newest first; the draft is not listed
    assert get(kind="yellow") == [c, b]
    assert get(owner="ke") == [c]
    assert get(nationality="DZ") == [b] and get(nationality="fr") == [b] and get(nationality="KE") == [c]
    assert get(name="amira") == [c, b] and get(name="HADDAD") == [b]
    assert get(name="أميرة") == [c]  # as written
    assert get(name="dupont") == [a]  # a Red Notice's subject
    start = (clock.now() + timedelta(days=5)).date().isoformat()
    end = (clock.now() + timedelta(days=15)).date().isoformat()
    assert get(published_from=start) == [c, b] and get(published_from=start, published_to=end) == [b]
    one = client.get(f"/api/v1/notices/{b}").json()
    assert one["kind"] == "yellow" and one["owner"] == "FR" and one["data"]["place"] == "Marseille"
    assert AuditEntry.objects.filter(action="notices.read", actor="gs-analyst", target_id=b).exists()
    browses = AuditEntry.objects.filter(action="notices.browse", actor="gs-analyst")
    assert browses.count() == 12 and any(e.detail.get("nationality") == "DZ" for e in browses)


def test_bad_filters_are_problems_naming_the_field(client, user_factory, hub):
    client.force_login(user_factory("gs", "analyst"))
    bad = client.get("/api/v1/notices", {"kind": "pink"})
    assert bad.status_code == 422 and bad["Content-Type"].startswith("application/problem+json")
    assert "kind" in bad.content.decode()
    assert client.get("/api/v1/notices", {"published_from": "last week"}).status_code == 422
    assert client.get("/api/v1/notices/019ac000-0000-7000-8000-00000000dead").status_code == 404


def test_the_list_pages_through_any_number_with_a_cursor(client, user_factory, hub):
    for i in range(7):
        with clock.travel(timedelta(minutes=i)):
            publish(FR, "yellow", yellow(f"Person {i:02d}", nationalities=()))
    client.force_login(user_factory("gs", "analyst"))
    seen, url = [], "/api/v1/notices?page_size=3"
    while url:
        page = client.get(url).json()
        seen += [n["title"] for n in page["results"]]
        url = page["next"]
    assert seen == [f"Person {i:02d}" for i in reversed(range(7))]


def test_a_node_lists_its_replica_and_the_diffusions_sent_to_it(client, peers, user_factory):
    notice = {
        "id": "019ac000-0000-7000-8000-0000000000e1",
        "kind": "yellow",
        "owner": "KE",
        "title": "Wanjiru Kamau",
        "data": yellow("Wanjiru Kamau", nationalities=("KE",)),
        "published_at": clock.now().isoformat(),
    }
    assert to_self(peers, replication.PUBLISHED, notice, 1, "hub") == "accepted"
    diffusion = {
        "id": "019ac000-0000-7000-8000-0000000000e2",
        "by": "br-officer",
        "kind": "blue",
        "recipients": ["FR"],
        "data": {
            "subject": {"names": [{"value": "Жоао Силва", "script": "Cyrl"}], "nationalities": ["BR"]},
            "information_sought": "Where he lives now in Europe.",
        },
        "title": "Жоао Силва",
    }
    assert send_diffusion(peers, diffusion, 2, "BR") == "accepted"
    assert ReplicaNotice.objects.count() == 2 and not Notice.objects.exists()
    client.force_login(user_factory("ncb", "officer", username="fr-officer"))
    get = lambda **q: ids(client.get("/api/v1/notices", q))  # noqa: E731
    assert set(get()) == {notice["id"], diffusion["id"]}
    assert get(name="zhoao") == [diffusion["id"]]  # Cyrillic found by its Latin letters
    assert get(nationality="KE") == [notice["id"]] and get(owner="BR") == [diffusion["id"]]
    listed = client.get("/api/v1/notices", {"kind": "blue"}).json()["results"]
    assert listed[0]["source"] == "diffusion"
    assert client.get(f"/api/v1/notices/{notice['id']}").json()["title"] == "Wanjiru Kamau"


def test_the_page_filters_and_pages(client, user_factory, hub):
    for i in range(55):
        with clock.travel(timedelta(minutes=i)):
            publish(FR if i % 2 else KE, "yellow", yellow(f"Person {i:02d}", nationalities=("FR",)))
    user_factory("gs", "analyst", username="gs-analyst")
    sign_in(client, "gs-analyst")
    first = client.get("/notices/").content.decode()
    assert "Person 54" in first and "Person 04" not in first and "Page 1 of 2 (55 in all)" in first
    second = client.get("/notices/", {"page": 2}).content.decode()
    assert "Person 04" in second and "Person 54" not in second
    ke = client.get("/notices/", {"owner": "KE", "name": "person 1"}).content.decode()
    assert "Person 10" in ke and "Person 11" not in ke and "Person 12" in ke
    bad = client.get("/notices/", {"published_from": "yesterday"})
    assert bad.status_code == 400 and "Enter a valid date" in bad.content.decode()
