"""The hub's public notices API, compatible with INTERPOL's: the exact JSON shapes the issue writes,
each filter, withdrawal within the same request cycle, restricted records never shown, ETag and
304, the rate limit's 429, no cookie, and hostile query strings never a 500."""

import re
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from ncbnet.base import clock
from ncbnet.notices import services
from ncbnet.notices.tests.test_extracts import FR, PHOTO, PNG
from ncbnet.notices.tests.test_notices import red
from ncbnet.public.tests.conftest import publish
from ncbnet.records import services as records

pytestmark = pytest.mark.django_db

HREF = re.compile(r"^http://testserver/notices/v1/")
ENTITY_ID = re.compile(r"^\d{4}/\d{5}$")
DOB = re.compile(r"^\d{4}(/\d{2}(/\d{2})?)?$")

# The shapes written in the issue (and the original API's own fields).
LIST_KEYS = {"total", "query", "_embedded", "_links"}
ITEM_KEYS = {"forename", "name", "date_of_birth", "entity_id", "nationalities", "_links"}
ITEM_LINKS = {"self", "images", "thumbnail"}
PERSON = {
    "forename",
    "name",
    "date_of_birth",
    "entity_id",
    "nationalities",
    "weight",
    "height",
    "sex_id",
    "country_of_birth_id",
    "place_of_birth",
    "languages_spoken_ids",
    "eyes_colors_id",
    "hairs_id",
    "distinguishing_marks",
    "_links",
}
RED_KEYS = PERSON | {"arrest_warrants"}
WARRANT_KEYS = {"issuing_country_id", "charge", "charge_translation"}
YELLOW_KEYS = PERSON | {
    "birth_name",
    "date_of_event",
    "place",
    "country",
    "father_forename",
    "mother_name",
    "mother_forename",
}
UN_KEYS = PERSON | {
    "un_reference",
    "un_resolution",
    "un_reference_date",
    "aliases",
    "identity_documents",
    "adresses",
}


def get(client, url, **headers):
    return client.get(url, headers=headers)


def ok(client, url, **headers):
    response = get(client, url, **headers)
    assert response.status_code == 200, response.content
    return response.json()


def names(body):
    return sorted(n["name"] for n in body["_embedded"]["notices"])


def test_a_list_has_exactly_the_original_shape(client, published):
    body = ok(client, "/notices/v1/red?resultPerPage=1")
    assert set(body) == LIST_KEYS and body["total"] == 2
    assert body["query"] == {"page": 1, "resultPerPage": 1}
    assert set(body["_links"]) == {"self", "first", "next", "last"}
    assert all(HREF.match(link["href"]) for link in body["_links"].values())
    assert body["_links"]["next"]["href"].endswith("/notices/v1/red?page=2&resultPerPage=1")
    (item,) = body["_embedded"]["notices"]
    assert set(item) == ITEM_KEYS and set(item["_links"]) == ITEM_LINKS
    assert ENTITY_ID.match(item["entity_id"]) and DOB.match(item["date_of_birth"])
    assert (
        item["_links"]["self"]["href"]
        == f"http://testserver/notices/v1/red/{item['entity_id'].replace('/', '-')}"
    )
    last = ok(client, body["_links"]["last"]["href"])
    assert "next" not in last["_links"] and last["query"]["page"] == 2
    echoed = ok(client, "/notices/v1/red?name=dupont&sexId=M")["query"]
    assert echoed == {"page": 1, "resultPerPage": 20, "name": "dupont", "sexId": "M"}


def test_a_red_notice_has_exactly_the_original_fields_and_formats(client, published):
    entity_id = published["marc"][1].entity_id
    body = ok(client, f"/notices/v1/red/{entity_id.replace('/', '-')}")
    assert set(body) == RED_KEYS and set(body["_links"]) == ITEM_LINKS
    assert body["entity_id"] == entity_id and body["date_of_birth"] == "1979/06/02"
    assert body["forename"] == "MARC" and body["name"] == "DUPONT" and body["sex_id"] == "M"
    assert body["height"] == 1.82 and body["weight"] == 80
    assert body["languages_spoken_ids"] == ["FRE", "ENG"] and body["eyes_colors_id"] == ["BRO"]
    assert body["nationalities"] == ["FR"] and body["country_of_birth_id"] == "FR"
    (warrant,) = body["arrest_warrants"]
    assert set(warrant) == WARRANT_KEYS and warrant == {
        "issuing_country_id": "FR",
        "charge": "armed robbery",
        "charge_translation": None,
    }
    text = get(client, f"/notices/v1/red/{entity_id.replace('/', '-')}").content.decode()
    assert "gunpoint" not in text and "MA-2026-0042" not in text and "Juge" not in text


def test_yellow_and_un_notices_have_their_own_fields(client, published):
    y = published["amira"][1].entity_id.replace("/", "-")
    body = ok(client, f"/notices/v1/yellow/{y}")
    assert (
        set(body) == YELLOW_KEYS
        and body["date_of_event"] == "2026/10/02"
        and body["mother_forename"] == "Leila"
    )
    assert body["date_of_birth"] == "2009/03/14" and "arrest_warrants" not in body
    u = published["ivan"][1].entity_id.replace("/", "-")
    body = ok(client, f"/notices/v1/un/persons/{u}")
    assert set(body) == UN_KEYS and body["un_reference"] == "QDi.001" and body["aliases"] == ["Vanya"]
    assert body["un_reference_date"] == "2001/01/25" and body["adresses"] is None
    e = published["acme"][1].entity_id.replace("/", "-")
    assert ok(client, f"/notices/v1/un/entities/{e}")["adresses"] == ["Kabul"]
    # each list holds its own kind: a red id is not a yellow notice, a person not an entity
    assert (
        get(client, f"/notices/v1/yellow/{published['marc'][1].entity_id.replace('/', '-')}").status_code
        == 404
    )
    assert get(client, f"/notices/v1/un/entities/{u}").status_code == 404
    assert names(ok(client, "/notices/v1/un/entities")) == ["TRADING"]


def test_images_list_and_bytes(client, published):
    marc = published["marc"][1].entity_id.replace("/", "-")
    body = ok(client, f"/notices/v1/red/{marc}/images")
    assert set(body) == {"_embedded", "_links"} and len(body["_embedded"]["images"]) == 2
    for image in body["_embedded"]["images"]:
        assert set(image) == {"picture_id", "_links"} and set(image["_links"]) == {"self"}
        response = get(client, image["_links"]["self"]["href"])
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        assert response.content == PNG and response["X-Content-Type-Options"] == "nosniff"
    thumb = ok(client, f"/notices/v1/red/{marc}")["_links"]["thumbnail"]["href"]
    assert thumb == body["_embedded"]["images"][0]["_links"]["self"]["href"]
    ana = published["ana"][1].entity_id.replace("/", "-")
    other = body["_embedded"]["images"][0]["picture_id"]
    assert get(client, f"/notices/v1/red/{ana}/images/{other}").status_code == 404  # not its image


def test_each_filter(client, published):
    assert names(ok(client, "/notices/v1/red?forename=marc")) == ["DUPONT"]
    assert names(ok(client, "/notices/v1/red?name=Souza")) == ["SOUZA"]
    assert names(ok(client, "/notices/v1/red?nationality=PT")) == ["SOUZA"]
    assert names(ok(client, "/notices/v1/red?sexId=F")) == ["SOUZA"]
    assert names(ok(client, "/notices/v1/red?freeText=cheek")) == ["DUPONT"]
    assert names(ok(client, "/notices/v1/red?freeText=fraud")) == ["SOUZA"]
    assert names(ok(client, "/notices/v1/red?arrestWarrantCountryId=FR")) == ["DUPONT", "SOUZA"]
    assert names(ok(client, "/notices/v1/red?arrestWarrantCountryId=BR")) == []
    with clock.frozen(clock.now().replace(year=2026, month=11, day=30)):
        assert names(ok(client, "/notices/v1/red?ageMin=40")) == ["DUPONT"]  # 47
        assert names(ok(client, "/notices/v1/red?ageMax=26")) == ["SOUZA"]  # 26
        assert names(ok(client, "/notices/v1/red?ageMin=26&ageMax=26")) == ["SOUZA"]
        assert names(ok(client, "/notices/v1/red?ageMin=27&ageMax=46")) == []
    assert names(ok(client, "/notices/v1/yellow?name=haddad&nationality=DZ")) == ["HADDAD"]
    assert names(ok(client, "/notices/v1/un/persons?unReference=qdi.001")) == ["PETROV"]
    assert names(ok(client, "/notices/v1/un/persons?unResolution=1267")) == ["PETROV"]
    assert names(ok(client, "/notices/v1/un/persons?name=vanya")) == ["PETROV"]
    assert names(ok(client, "/notices/v1/un/persons?unReference=QDe")) == []
    body = ok(client, "/notices/v1/red?page=2&resultPerPage=1")
    assert body["total"] == 2 and len(body["_embedded"]["notices"]) == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("resultPerPage=161", "resultPerPage"),
        ("page=0", "page"),
        ("sexId=X", "sexId"),
        ("nationality=fra", "nationality"),
        ("ageMin=-1", "ageMin"),
        ("arrestWarrantCountryId=FR&x=1", "x"),
        ("name=a&name=b", "name"),
        ("name=%00", "name"),
        ("unReference=QDi", "unReference"),  # not a parameter of the red list
    ],
)
def test_a_wrong_parameter_is_a_400_naming_it(client, query, field):
    response = get(client, f"/notices/v1/red?{query}")
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]


def test_a_cancelled_notice_leaves_every_answer_at_once_and_shows_in_withdrawn(client, published):
    notice, extract = published["marc"]
    path = f"/notices/v1/red/{extract.entity_id.replace('/', '-')}"
    images = ok(client, f"{path}/images")["_embedded"]["images"]
    assert ok(client, "/notices/v1/red?resultPerPage=1")["total"] == 2  # (the total is kept...)
    before = clock.now() - timedelta(seconds=1)
    services.cancel(FR, str(notice.pk), "Arrested in Spain.")
    assert ok(client, "/notices/v1/red?page=1&resultPerPage=1")["total"] == 1  # (...until a change)
    assert get(client, path).status_code == 404
    assert get(client, f"{path}/images").status_code == 404
    assert get(client, images[0]["_links"]["self"]["href"]).status_code == 404
    assert names(ok(client, "/notices/v1/red")) == ["SOUZA"]
    body = ok(client, f"/notices/v1/withdrawn?since={before.isoformat().replace('+00:00', 'Z')}")
    assert [w["entity_id"] for w in body["_embedded"]["withdrawn"]] == [extract.entity_id]
    assert body["_embedded"]["withdrawn"][0]["notice_type"] == "red" and body["more"] is False
    assert ok(client, "/notices/v1/withdrawn?since=2999-01-01")["_embedded"]["withdrawn"] == []
    assert get(client, "/notices/v1/withdrawn").status_code == 400
    assert get(client, "/notices/v1/withdrawn?since=yesterday").status_code == 400


def test_a_restricted_record_never_appears_in_a_public_answer(client, hub):
    person = records.contribute(
        FR,
        "persons",
        {
            "names": [{"value": "Zoltan Kovacs"}],
            "date_of_birth": {"year": 1975},
            "nationalities": ["HU"],
            "photos": [PHOTO],
        },
    )
    _, extract = publish("red", red(subject={"record_id": str(person.pk)}), {})
    path = f"/notices/v1/red/{extract.entity_id.replace('/', '-')}"
    assert ok(client, path)["name"] == "KOVACS"
    records.change(FR, str(person.pk), restriction={"access": "allow", "countries": ["FR"]}, reason="inquiry")
    answers = [
        get(client, u) for u in ("/notices/v1/red", path, f"{path}/images", "/notices/v1/red?name=kovacs")
    ]
    assert [a.status_code for a in answers] == [200, 404, 404, 200]
    assert all("KOVACS" not in a.content.decode().upper() for a in answers[:3])
    assert answers[3].json()["_embedded"]["notices"] == []  # (the query is echoed, nothing else)


def test_etag_and_304(client, published):
    first = get(client, "/notices/v1/red")
    assert first["Cache-Control"] == "public, max-age=60" and first["ETag"].startswith('"')
    again = get(client, "/notices/v1/red", **{"If-None-Match": first["ETag"]})
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == first["ETag"]
    services.cancel(FR, str(published["ana"][0].pk), "Found.")
    changed = get(client, "/notices/v1/red", **{"If-None-Match": first["ETag"]})
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
    missing = get(client, "/notices/v1/red/2020-99999")
    assert (
        missing.status_code == 404 and missing["Cache-Control"] == "no-store" and missing.has_header("ETag")
    )


def test_the_rate_limit_answers_429_with_retry_after(client, settings, published):
    settings.NCBNET_PUBLIC_API_PER_MINUTE = 3
    with clock.frozen(clock.now()):
        assert [get(client, "/notices/v1/red").status_code for _ in range(3)] == [200, 200, 200]
        refused = get(client, "/notices/v1/red")
        assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 60
        other = client.get("/notices/v1/red", REMOTE_ADDR="10.0.0.9")
        assert other.status_code == 200  # another address has its own count
    with clock.frozen(clock.now() + timedelta(seconds=61)):
        assert get(client, "/notices/v1/red").status_code == 200


def test_no_session_no_cookie_no_sign_in(client, published, user_factory):
    from ncbnet.conftest import sign_in

    user_factory("gs", "reviewer", username="gs-reviewer")
    sign_in(client, "gs-reviewer")  # a signed-in browser: its cookies are neither read nor set
    for url in (
        "/notices/v1/red",
        "/notices/v1/openapi.json",
        "/notices/v1/red/2020-99999",
        "/notices/v1/red?page=x",
    ):
        response = get(client, url)
        assert not response.cookies and "Set-Cookie" not in str(response.serialize_headers())
        assert "Cookie" not in response.get("Vary", "") and "Accept-Language" not in response.get("Vary", "")
    assert client.post("/notices/v1/red").status_code == 405


def test_on_an_ncb_node_the_paths_do_not_exist(client, settings, published):
    settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "ncb", "FR"
    for url in ("/notices/v1/red", "/notices/v1/openapi.json", "/notices/v1/withdrawn?since=2020-01-01"):
        assert get(client, url).status_code == 404


def test_the_openapi_document_lists_every_path_and_parameter(client):
    doc = ok(client, "/notices/v1/openapi.json")
    assert doc["openapi"].startswith("3.1") and doc["servers"] == [{"url": "http://testserver/notices/v1"}]
    assert {
        "/red",
        "/yellow",
        "/un/persons",
        "/un/entities",
        "/withdrawn",
        "/red/{notice_id}/images/{picture_id}",
    } <= set(doc["paths"])
    red_params = {p["name"] for p in doc["paths"]["/red"]["get"]["parameters"]}
    assert red_params == {
        "page",
        "resultPerPage",
        "forename",
        "name",
        "nationality",
        "ageMin",
        "ageMax",
        "freeText",
        "sexId",
        "arrestWarrantCountryId",
    }
    assert set(doc["components"]["schemas"]["RedNotice"]["properties"]) == RED_KEYS


TEXT = st.characters(blacklist_categories=("Cs",))
PARAMS = [
    "forename",
    "name",
    "nationality",
    "ageMin",
    "ageMax",
    "freeText",
    "sexId",
    "arrestWarrantCountryId",
    "page",
    "resultPerPage",
    "unReference",
    "since",
    "x",
]


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from(
        ["red", "yellow", "un/persons", "un/entities", "withdrawn", "red/2026-00001", "red/2026-00001/images"]
    ),
    query=st.lists(
        st.tuples(st.sampled_from(PARAMS) | st.text(TEXT, max_size=5), st.text(TEXT, max_size=30)), max_size=4
    ),
)
def test_hostile_query_strings_are_never_a_500(client, settings, path, query):
    from urllib.parse import urlencode

    settings.NCBNET_PUBLIC_API_PER_MINUTE = 10_000_000
    response = client.get(f"/notices/v1/{path}?{urlencode(query)}")
    assert response.status_code in (200, 400, 404), response.content
    if response.status_code == 400:
        assert response.json()["errors"]
