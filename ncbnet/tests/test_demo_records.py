import pytest

from ncbnet.demo import records as demo
from ncbnet.notices import extracts
from ncbnet.notices.models import Notice, State
from ncbnet.records.models import Record

pytestmark = pytest.mark.django_db


def test_demo_seed_fills_the_hub_through_the_services_once(hub):
    result = demo.seed(persons=12, documents=6, vehicles=3, firearms=3, artworks=2)
    assert result["records"] == 26 == Record.objects.count()
    scripts = {n["script"] for r in Record.objects.filter(database="persons") for n in r.data["names"]}
    assert {"Cyrl", "Arab", "Hans", "Latn"} <= scripts
    assert Notice.objects.filter(state=State.PUBLISHED).count() == 9  # with FR's Yellow and UN notices
    public = extracts.published()
    assert result["public_extracts"] == public.count() >= 2
    assert {e.kind for e in public} >= {"yellow", "unsc"} and {e.notice.owner for e in public} == {"FR"}
    in_review = Notice.objects.filter(state=State.IN_REVIEW)
    assert any(f["check"] == "neutrality" for n in in_review for f in n.flags)
    assert demo.seed()["records"] == 26  # idempotent


def test_demo_seed_is_refused_in_production(hub, settings):
    settings.NCBNET_MODE = "production"
    with pytest.raises(PermissionError):
        demo.seed()
