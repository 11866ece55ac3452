"""At the hub, what the owner's node sends after its request: the edit after "changes requested"
(`notices.revise`) and the extension at the periodic review (`notices.extend`). Only the owner's
node may send either; anything else is quarantined and changes nothing."""

from datetime import timedelta

import pytest

from ncbnet.base import clock
from ncbnet.base.chain import AuditEntry
from ncbnet.conftest import database_state, sign_in
from ncbnet.network import envelope
from ncbnet.network.models import OutboxEnvelope, Quarantine
from ncbnet.notices import requests, services
from ncbnet.notices.models import Notice, NoticeEvent, NoticeRequest, State
from ncbnet.notices.tests.test_notices import GS, red
from ncbnet.notices.tests.test_requests import latest, to_self

pytestmark = pytest.mark.django_db

ID = "019ac000-0000-7000-8000-0000000000c1"


def sent_back(peers):
    """FR's Red Notice request, at the hub, sent back for changes by the GS."""
    body = {"id": ID, "by": "fr-officer", "kind": "red", "data": red(law="")}
    assert to_self(peers, requests.REQUEST, body, 1, "FR") == "accepted"
    assert envelope.open_body(latest(requests.STATUS), "FR", peers["FR"])["state"] == "refused"
    notice = Notice.objects.get(pk=ID)
    assert notice.state == State.DRAFT
    return notice


def in_changes(peers):
    to_self(peers, requests.REQUEST, {"id": ID, "by": "fr-officer", "kind": "red", "data": red()}, 1, "FR")
    return services.review(GS, ID, "changes", "Give the issuing court in full.")


def test_the_owner_resubmits_after_changes_and_the_gs_publishes(peers, hub):
    in_changes(peers)
    revised = red(law="Code pénal, art. 311-8 et 311-9")
    body = {"id": ID, "by": "fr-officer", "data": revised}
    assert to_self(peers, requests.REVISE, body, 2, "FR") == "accepted"
    notice = Notice.objects.get(pk=ID)
    assert notice.state == State.IN_REVIEW and notice.data["law"] == "Code pénal, art. 311-8 et 311-9"
    assert [(e.from_state, e.to_state) for e in NoticeEvent.objects.filter(notice=notice)][-2:] == [
        (State.IN_REVIEW, State.CHANGES_REQUESTED),
        (State.CHANGES_REQUESTED, State.IN_REVIEW),
    ]
    assert AuditEntry.objects.filter(action="notices.edit", subject="FR").exists()
    assert envelope.open_body(latest(requests.STATUS), "FR", peers["FR"])["state"] == "in_review"
    services.review(GS, ID, "approve", "Meets the Rules.")
    assert Notice.objects.get(pk=ID).state == State.PUBLISHED


def test_a_request_refused_at_the_checks_is_corrected_the_same_way(peers, hub):
    sent_back(peers)
    assert (
        to_self(peers, requests.REVISE, {"id": ID, "by": "fr-officer", "data": red()}, 2, "FR") == "accepted"
    )
    assert Notice.objects.get(pk=ID).state == State.IN_REVIEW


def test_a_revision_failing_the_checks_is_kept_and_refused_with_its_reasons(peers, hub):
    in_changes(peers)
    body = {"id": ID, "by": "fr-officer", "data": red(max_penalty_years=1)}
    assert to_self(peers, requests.REVISE, body, 2, "FR") == "accepted"
    status = envelope.open_body(latest(requests.STATUS), "FR", peers["FR"])
    assert status["state"] == "refused" and "max_penalty_years" in status["errors"]
    notice = Notice.objects.get(pk=ID)
    assert notice.state == State.CHANGES_REQUESTED and notice.data["max_penalty_years"] == 1


def test_another_bureaus_revision_is_quarantined_and_changes_nothing(peers, hub):
    in_changes(peers)
    before = database_state()
    forged = {"id": ID, "by": "br-officer", "data": red(law="Anything BR likes")}
    assert to_self(peers, requests.REVISE, forged, 2, "BR") == "quarantined"
    assert "revision refused" in Quarantine.objects.get().reason
    after = database_state()
    for table in ("notices.notice", "notices.noticeevent", "network.outboxenvelope"):
        assert after[table] == before[table]


def test_a_replayed_revision_is_quarantined(peers, hub):
    in_changes(peers)
    body = {"id": ID, "by": "fr-officer", "data": red(law="Code pénal, art. 311-9")}
    assert to_self(peers, requests.REVISE, body, 2, "FR") == "accepted"
    again = {"id": ID, "by": "fr-officer", "data": red(law="Something else entirely")}
    assert to_self(peers, requests.REVISE, again, 3, "FR") == "quarantined"
    assert Notice.objects.get(pk=ID).data["law"] == "Code pénal, art. 311-9"


def test_a_revision_of_an_unknown_notice_is_quarantined(peers, hub):
    body = {"id": envelope.new_id(), "by": "fr-officer", "data": red()}
    assert to_self(peers, requests.REVISE, body, 1, "FR") == "quarantined"
    assert not Notice.objects.exists()


def published_by_fr(peers):
    to_self(peers, requests.REQUEST, {"id": ID, "by": "fr-officer", "kind": "red", "data": red()}, 1, "FR")
    return services.review(GS, ID, "approve", "Meets the Rules.")


def test_another_bureaus_extension_is_quarantined(peers, hub):
    notice = published_by_fr(peers)
    body = {
        "id": ID,
        "by": "br-officer",
        "review_at": notice.periodic_review_at.isoformat(),
        "reason": "Still wanted.",
    }
    assert to_self(peers, requests.EXTEND, body, 2, "BR") == "quarantined"
    assert Notice.objects.get(pk=ID).periodic_review_at == notice.periodic_review_at


def test_an_extension_of_a_review_already_answered_is_quarantined(peers, hub):
    notice = published_by_fr(peers)
    first = notice.periodic_review_at
    body = {"id": ID, "by": "fr-officer", "review_at": first.isoformat(), "reason": "Still wanted."}
    assert to_self(peers, requests.EXTEND, body, 2, "FR") == "accepted"
    assert to_self(peers, requests.EXTEND, body | {"reason": "Again."}, 3, "FR") == "quarantined"
    assert Notice.objects.get(pk=ID).periodic_review_at.year == first.year + 5


def test_an_extension_from_the_owners_node_keeps_the_notice_past_five_years(
    client, peers, settings, user_factory
):
    """The hub warns FR six months before the review; FR's officer extends it from its node's page;
    the hub, on its clock, keeps it published past the first five years (and expires it at the
    end of the next five, not extended again)."""
    # At the hub: FR's request published, then warned on the clock.
    settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "hub", None
    notice = published_by_fr(peers)
    first_review = notice.periodic_review_at
    with clock.travel(timedelta(days=365 * 5 - 150)):
        assert services.tick() == {"warned": 1, "expired": 0}
    warning = envelope.open_body(latest(requests.STATUS), "FR", peers["FR"])
    assert warning["review_at"] is not None
    # On FR's node: the warning arrives; the notice is listed as due; the officer extends it.
    settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "ncb", "FR"
    NoticeRequest.objects.create(
        id=ID,
        kind="red",
        title="Marc Dupont",
        requested_by="fr-officer",
        requested_at=clock.now(),
        data=red(),
    )
    assert to_self(peers, requests.STATUS, warning, 2, "hub") == "accepted"
    user_factory("ncb", "officer", username="fr-officer")
    with clock.travel(timedelta(days=365 * 5 - 150)):
        sign_in(client, "fr-officer")
        due = client.get("/notices/review-due/").content.decode()
        assert "Marc Dupont" in due and first_review.strftime("%Y-%m-%d") in due
        refused = client.post(f"/notices/requests/{ID}/extend/", {"reason": " "}, follow=True)
        assert "reason" in refused.content.decode() and not OutboxEnvelope.objects.filter(
            kind=requests.EXTEND
        )
        client.post(f"/notices/requests/{ID}/extend/", {"reason": "Still wanted: new sighting in Spain."})
    extension = envelope.open_body(latest(requests.EXTEND), "hub", peers["hub"])
    assert extension["reason"] == "Still wanted: new sighting in Spain."
    # At the hub: the extension arrives from FR; past the first five years the notice stays published.
    settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "hub", None
    with clock.travel(timedelta(days=365 * 5 - 149)):
        assert to_self(peers, requests.EXTEND, extension, 3, "FR") == "accepted"
    told = envelope.open_body(latest(requests.STATUS), "FR", peers["FR"])
    assert told["state"] == "published" and "extended until" in told["reason"]
    with clock.travel(timedelta(days=365 * 5 + 30)):
        assert services.tick() == {"warned": 0, "expired": 0}
    notice.refresh_from_db()
    assert notice.state == State.PUBLISHED and notice.periodic_review_at.year == first_review.year + 5
    assert AuditEntry.objects.filter(action="notices.extend", subject="FR").exists()
    with clock.travel(timedelta(days=365 * 10 + 5)):
        assert services.tick()["expired"] == 1
    assert Notice.objects.get(pk=ID).state == State.EXPIRED
    # Back on FR's node: the new review date is what the node keeps.
    settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "ncb", "FR"
    assert to_self(peers, requests.STATUS, told, 4, "hub") == "accepted"
    assert NoticeRequest.objects.get(pk=ID).periodic_review_at == notice.periodic_review_at
