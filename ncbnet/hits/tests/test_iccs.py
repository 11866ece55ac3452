"""A hit report takes the crime category of the record or notice it hit, and carries it to the
owner and the GS; a report without one (from a node older than crime categories) still arrives,
and one whose category is not a level-2 code is refused at the entrance."""

import pytest

from ncbnet.conftest import arriving
from ncbnet.hits import services
from ncbnet.hits.models import HitReport
from ncbnet.hits.schemas import Hit
from ncbnet.hits.tests.test_confirmation import report_body, sent
from ncbnet.network import delivery, envelope
from ncbnet.notices.models import ReplicaNotice
from ncbnet.screening import services as screening
from ncbnet.screening.tests.test_documents import replica

pytestmark = pytest.mark.django_db


def wanted(name, **extra):
    data = {"names": [{"value": name, "script": "Latn", "kind": "primary"}], "sex": "U", **extra}
    return replica("persons", "KE", name.casefold(), data, label=name)


def test_a_hit_report_takes_the_records_category_and_carries_it(peers, user_factory):
    wanted("Daniel Otieno", iccs="0101")
    [hit] = screening.person(user_factory("agency", "query"), "Daniel Otieno", context={}).hits
    assert hit.iccs == "0101"
    assert HitReport.objects.get(pk=hit.report).iccs == "0101"
    [e] = sent(services.REPORT)
    assert envelope.open_body(e, "KE", peers["KE"])["iccs"] == "0101"


def test_a_record_without_a_category_gives_a_report_without_one_as_old_nodes_read_it(peers, user_factory):
    wanted("Daniel Otieno")
    [hit] = screening.person(user_factory("agency", "query"), "Daniel Otieno", context={}).hits
    assert hit.iccs == "" and HitReport.objects.get().iccs == ""
    [e] = sent(services.REPORT)
    assert "iccs" not in envelope.open_body(e, "KE", peers["KE"])


def test_a_notice_hit_takes_the_notices_category():
    notice = ReplicaNotice(kind="red", owner="KE", title="Daniel Otieno", data={"iccs": "0601"})
    assert Hit.of_notice(notice, {"names": []}, 0.95, ["name"]).iccs == "0601"
    notice.data = {"iccs": "06"}  # not a code: none
    assert Hit.of_notice(notice, {"names": []}, 0.95, ["name"]).iccs == ""


@pytest.fixture
def kenya(settings):
    """This test node is the owner, KE's bureau."""
    settings.NCBNET_COUNTRY = "KE"


def test_the_owner_keeps_the_category_reported_and_reads_an_old_nodes_report(peers, kenya):
    body = {**report_body(), "iccs": "0101"}
    assert delivery.accept(arriving(peers, services.REPORT, body, sender="FR"), 1) == "accepted"
    assert HitReport.objects.get().iccs == "0101"
    HitReport.objects.all().delete()
    assert delivery.accept(arriving(peers, services.REPORT, report_body(), sender="FR"), 2) == "accepted"
    assert HitReport.objects.get().iccs == ""


@pytest.mark.parametrize("value", ["01", "01011", "9999", 101, ["0101"], None, "0" * 41])
def test_a_report_whose_category_is_not_a_level_2_code_is_quarantined(peers, kenya, value):
    body = {**report_body(), "iccs": value}
    assert delivery.accept(arriving(peers, services.REPORT, body, sender="FR"), 1) == "quarantined"
    assert not HitReport.objects.exists()


def test_the_api_gives_the_reports_category(client, peers, kenya, user_factory):
    delivery.accept(arriving(peers, services.REPORT, {**report_body(), "iccs": "0101"}, sender="FR"), 1)
    client.force_login(user_factory("ncb", "officer"))
    report = HitReport.objects.get()
    assert client.get(f"/api/v1/hits/{report.pk}").json()["iccs"] == "0101"
