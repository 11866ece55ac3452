"""The crime categories through the API: every section and level-2 code with the source, in the
language the caller asks for; a token needs the contributions scope."""

import pytest
from django.conf import settings

from ncbnet.base import iccs
from ncbnet.security import services as security

pytestmark = pytest.mark.django_db


def test_an_officer_reads_every_category_with_its_source(client, user_factory):
    client.force_login(user_factory("ncb", "officer"))
    body = client.get("/api/v1/analytics/categories", HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["source"]["publisher"].startswith("United Nations Office on Drugs and Crime")
    assert body["source"]["year"] == 2015
    assert [s["code"] for s in body["sections"]] == list(iccs.SECTIONS)
    codes = [c["code"] for s in body["sections"] for c in s["categories"]]
    assert codes == iccs.codes()
    property_only = body["sections"][4]
    assert property_only["label"] == "Acts against property only"
    assert {"code": "0502", "label": "Theft"} in property_only["categories"]


@pytest.mark.parametrize(("lang", "theft"), [("fr", "Vol"), ("es", "Hurto"), ("ar", "السرقة")])
def test_the_labels_come_in_the_callers_language(client, user_factory, lang, theft):
    client.force_login(user_factory("agency", "query"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    body = client.get("/api/v1/analytics/categories").json()
    labels = {c["code"]: c["label"] for s in body["sections"] for c in s["categories"]}
    assert labels["0502"] == theft


def test_a_system_needs_the_contributions_scope(client, peers, user_factory):
    system = user_factory("system", "system", username="fr-records-system")
    _token, screening = security.create_token(None, system, "gates", scopes=["screening"])
    refused = client.get("/api/v1/analytics/categories", HTTP_AUTHORIZATION=f"Bearer {screening}")
    assert refused.status_code == 403 and refused.json()["scope"] == "contributions"
    _token, contributing = security.create_token(None, system, "registry", scopes=["contributions"])
    assert (
        client.get("/api/v1/analytics/categories", HTTP_AUTHORIZATION=f"Bearer {contributing}").status_code
        == 200
    )


def test_nobody_signed_out_reads_them(client, db):
    assert client.get("/api/v1/analytics/categories").status_code == 401
