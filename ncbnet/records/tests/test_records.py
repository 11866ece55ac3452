"""Records at the hub: one owner each, versions kept, only the owner (or the GS with a reason)
changes them, and the owner's restriction decides who sees them — in every read and search."""

import uuid
from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from ncbnet.base.actor import Actor
from ncbnet.base.chain import AuditEntry
from ncbnet.base.dates import add_years
from ncbnet.records import policies, replication, services
from ncbnet.records.models import Record, RecordVersion

FR = Actor("fr-officer", "FR")
BR = Actor("br-officer", "BR")
KE = Actor("ke-officer", "KE")
GS = Actor("gs-reviewer", gs=True)

PERSON = {
    "names": [
        {"value": "Алексей Смирнов", "script": "Cyrl"},
        {"value": "Aleksei Smirnov", "script": "Latn", "kind": "latin"},
    ],
    "date_of_birth": {"year": 1984, "month": 3},
    "sex": "M",
    "nationalities": ["ru"],
}
DOCUMENT = {
    "number": "12ab 34567",
    "type": "passport",
    "issuing_country": "FR",
    "status": "stolen",
    "date": "2026-10-02",
}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def at_the_hub(hub):
    """The global databases and notices are kept at the hub."""


def test_contribution_keeps_owner_version_and_partial_date():
    r = services.contribute(FR, "persons", PERSON)
    assert r.owner == "FR" and r.version == 1 and r.label == "Алексей Смирнов (Aleksei Smirnov)"
    assert r.data["date_of_birth"] == {"year": 1984, "month": 3, "day": None}
    assert r.data["nationalities"] == ["RU"]
    v = RecordVersion.objects.get(record=r)
    assert (v.version, v.changed_by, v.changed_by_country) == (1, "fr-officer", "FR")
    assert AuditEntry.objects.filter(action="records.contribute", subject="FR").exists()


@pytest.mark.parametrize(
    ("database", "data", "field"),
    [
        ("persons", {**PERSON, "names": []}, "names"),
        ("persons", {**PERSON, "date_of_birth": {"year": 1984, "day": 3}}, "date_of_birth"),
        ("persons", {**PERSON, "date_of_birth": {"year": 1984, "month": 2, "day": 30}}, "date_of_birth"),
        ("persons", {**PERSON, "nationalities": ["XX"]}, "nationalities"),
        ("documents", {**DOCUMENT, "status": "misplaced"}, "status"),
        ("documents", {**DOCUMENT, "issuing_country": "ZZ"}, "issuing_country"),
        ("vehicles", {"make": "Peugeot", "country": "FR"}, "data"),
        ("firearms", {"make": "Glock", "type": "pistol"}, "serial_number"),
        ("unicorns", {}, "database"),
    ],
)
def test_a_missing_or_wrong_field_is_named_and_nothing_is_written(database, data, field):
    with pytest.raises(ValidationError) as refused:
        services.contribute(FR, database, data)
    assert any(k.startswith(field) for k in refused.value.message_dict), refused.value.message_dict
    assert not Record.objects.exists()


@pytest.mark.parametrize(
    ("restriction", "field"),
    [
        ({"access": "allow"}, "data"),
        ({"access": "deny", "countries": ["KP"]}, "countries"),
        ({"handling": "H3"}, "data"),
    ],
)
def test_bad_restrictions_are_refused(restriction, field):
    with pytest.raises(ValidationError) as refused:
        services.contribute(FR, "documents", DOCUMENT, restriction)
    assert field in refused.value.message_dict


def test_only_the_owner_or_the_gs_with_a_reason_changes_a_record():
    r = services.contribute(FR, "documents", DOCUMENT)
    with pytest.raises(PermissionDenied, match="Only the owner"):
        services.change(BR, str(r.pk), {**DOCUMENT, "status": "lost"})
    assert AuditEntry.objects.filter(action="records.change_refused", subject="BR").exists()
    with pytest.raises(PermissionDenied):
        services.change(GS, str(r.pk), {**DOCUMENT, "status": "lost"})  # no reason given
    services.change(
        GS, str(r.pk), {**DOCUMENT, "status": "invalidated"}, reason="Issuer confirmed cancellation"
    )
    services.change(FR, str(r.pk), {**DOCUMENT, "status": "lost"})
    r.refresh_from_db()
    assert r.version == 3 and r.data["status"] == "lost"
    history = list(
        RecordVersion.objects.filter(record=r).values_list("version", "changed_by_country", "data__status")
    )
    assert history == [(1, "FR", "stolen"), (2, "GS", "invalidated"), (3, "FR", "lost")]


def test_denied_country_cannot_read_or_find_the_record():
    r = services.contribute(FR, "documents", DOCUMENT, {"access": "deny", "countries": ["BR"]})
    assert services.read(KE, str(r.pk)) == r
    with pytest.raises(Http404):
        services.read(BR, str(r.pk))
    assert list(services.search(BR, "documents", "12AB34567")) == []
    assert list(services.search(KE, "documents", "12AB-34567")) == [r]
    assert AuditEntry.objects.filter(action="records.read_refused", subject="BR").exists()
    assert services.read(GS, str(r.pk)) == r


COUNTRIES = ["FR", "BR", "KE", "DE", "JP"]
restriction = st.fixed_dictionaries(
    {
        "access": st.sampled_from(["all", "allow", "deny"]),
        "countries": st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=4, unique=True),
    }
)


@override_settings(NCBNET_ROLE="hub", NCBNET_COUNTRY=None)
class RestrictionProperty(TestCase):
    """No combination of restrictions lets a record reach a country the owner did not admit:
    not through search, browse, read, nor the replica feed."""

    @settings(max_examples=40, deadline=None)
    @given(
        records=st.lists(st.tuples(st.sampled_from(COUNTRIES), restriction), min_size=1, max_size=6),
        viewer=st.sampled_from(COUNTRIES),
    )
    def test_search_browse_and_read_agree_with_the_rule(self, records, viewer):
        made = []
        for owner, r in records:
            made.append(
                services.contribute(Actor(f"{owner.lower()}-officer", owner), "documents", DOCUMENT, r)
            )
        expected = {
            m.pk
            for m, (owner, r) in zip(made, records, strict=True)
            if policies.may_see(owner, r["access"], r["countries"], viewer)
        }
        actor = Actor("viewer", viewer)
        assert {m.pk for m in services.search(actor)} == expected
        fed = {m.pk for m in made if viewer in replication.audience(m, COUNTRIES)}
        assert fed == expected
        exported = list(services.export(actor))
        assert {uuid.UUID(r["id"]) for r in exported} == expected
        assert all("countries" not in r for r in exported)
        assert set(replication.expected(viewer)) == {str(pk) for pk in expected}
        assert {m.pk for m in services.search(actor, "documents", "12AB")} == expected
        for m in made:
            if m.pk in expected:
                assert services.read(actor, str(m.pk)).pk == m.pk
            else:
                with pytest.raises(Http404):
                    services.read(actor, str(m.pk))


def test_national_policy_refuses_naming_the_rule():
    with pytest.raises(ValidationError) as refused:
        services.contribute(BR, "artworks", {"title": "Madonna", "type": "painting"})
    assert "rule: databases" in refused.value.message_dict["database"][0]
    without_nationality = {k: v for k, v in PERSON.items() if k != "nationalities"}
    with pytest.raises(ValidationError) as refused:
        services.contribute(FR, "persons", without_nationality)
    assert "rule: required_fields.persons" in refused.value.message_dict["nationalities"][0]
    assert not Record.objects.exists()


def test_retention_follows_the_rules_or_the_shorter_national_law():
    from ncbnet.base import clock

    now = clock.now()
    fr = services.contribute(FR, "documents", DOCUMENT)
    ke = services.contribute(KE, "documents", DOCUMENT)
    assert fr.retain_until.year == now.year + 5 and ke.retain_until.year == now.year + 3
    assert add_years(datetime(2028, 2, 29, tzinfo=UTC), 1) == datetime(2029, 2, 28, tzinfo=UTC)


def test_the_gs_exports_as_json_lines_and_nobody_else_does(client, user_factory):
    import json

    services.contribute(FR, "documents", DOCUMENT, {"access": "deny", "countries": ["BR"]})
    client.force_login(user_factory("gs", "analyst"))
    response = client.get("/api/v1/records/export?database=documents")
    lines = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
    assert [r["key"] for r in lines] == ["12AB34567"] and "countries" not in lines[0]
    assert AuditEntry.objects.filter(action="records.export").exists()
    client.force_login(user_factory("gs", "reviewer"))
    assert client.get("/api/v1/records/export").status_code == 403


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000050001"
    "0d0a2db40000000049454e44ae426082"
)


def test_photos_are_checked_and_kept_in_the_record():
    import base64
    import hashlib

    photo = {"content_type": "image/png", "data": base64.b64encode(PNG).decode()}
    r = services.contribute(KE, "persons", {"names": [{"value": "Otieno"}], "photos": [photo]})
    assert r.data["photos"][0]["sha256"] == hashlib.sha256(PNG).hexdigest()
    for bad, message in [
        ({**photo, "content_type": "image/jpeg"}, "not a image/jpeg image"),
        ({**photo, "data": "***"}, "base64"),
        ({**photo, "sha256": "0" * 64}, "does not match"),
        (
            {**photo, "data": base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * (1024 * 1024)).decode()},
            "at most",
        ),
    ]:
        with pytest.raises(ValidationError) as refused:
            services.contribute(KE, "persons", {"names": [{"value": "Otieno"}], "photos": [bad]})
        assert message in str(refused.value.message_dict), refused.value.message_dict
