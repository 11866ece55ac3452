"""The demo's year of history at the hub: contributions and notices spread over the previous 12
months through the services, so the GS analyst's dashboard shows trends; the figures come from the
events, so a rebuild of those days leaves them as they are. Run again, it adds nothing."""

from datetime import timedelta

import pytest

from ncbnet.analytics import rebuild
from ncbnet.analytics.models import DailyFigure
from ncbnet.analytics.tests.figures import rows
from ncbnet.base import clock
from ncbnet.demo import history, people
from ncbnet.demo import records as demo_records

pytestmark = pytest.mark.django_db


def test_a_year_of_contributions_and_notices_whose_figures_a_rebuild_keeps(hub):
    people.seed()
    demo_records.seed(persons=12, documents=3, vehicles=3, firearms=0, artworks=0)
    made = history.seed()
    assert made > 0
    assert history.seed() == 0
    months = {d.strftime("%Y-%m") for d in DailyFigure.objects.values_list("day", flat=True)}
    assert len(months) >= 10
    decided = DailyFigure.objects.filter(event="notice.decided", rolled="")
    assert {f.outcome for f in decided} >= {"published", "refused"}
    assert sum(f.late for f in decided) >= 1
    contributed = DailyFigure.objects.filter(event="record.contributed", rolled="")
    assert {f.country for f in contributed} == {"FR", "BR", "KE"}
    assert {f.database for f in contributed} >= {"persons", "vehicles", "documents"}
    live = rows()
    today = clock.now().date()
    job = rebuild.run(rebuild.start(today - timedelta(days=400), today, "test"))
    assert job.state == "done"
    assert rows() == live
