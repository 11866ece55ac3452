"""The restriction property: no figure a bureau sees (its own, or the network figures the GS
publishes) reveals a record that bureau may not see. Held against the records' own restriction rule
(`records.policies.may_see`), as the records' property test holds search, browse and read: the
figures a country sees are the same whether or not the records it may not see (and their hits by
the countries that may) exist at all.

Records are contributed through the records service. Until that service and the hits' count their
events themselves (another change of issue #19), the helper counts them beside it through
`base.tally`, exactly as the event contract says (record.contributed by the owner; hit.reported
where found, owner the record's; restricted when the record is not for every country)."""

from datetime import timedelta

from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from ncbnet.analytics import figures
from ncbnet.base import clock, tally
from ncbnet.base.actor import Actor
from ncbnet.records import policies, services
from ncbnet.records.tests.test_records import COUNTRIES, DOCUMENT, restriction


def contribute(owner, r, finders):
    record = services.contribute(Actor(f"{owner.lower()}-officer", owner), "documents", DOCUMENT, r)
    restricted = record.access != "all"
    tally.count(
        "record.contributed",
        record.created_at,
        country=owner,
        owner=owner,
        database=record.database,
        iccs=record.iccs,
        restricted=restricted,
    )
    for finder in finders:  # only a country that may see the record can hit it
        tally.count(
            "hit.reported",
            record.created_at,
            country=finder,
            owner=owner,
            database=record.database,
            iccs=record.iccs,
            restricted=restricted,
        )
    return record


def seen_by(country):
    today = clock.now().date()
    period = figures.Filters(today - timedelta(days=1), today + timedelta(days=1))
    return figures.bureau(country, period) + figures.published(period)


@override_settings(NCBNET_ROLE="hub", NCBNET_COUNTRY=None)
class FiguresKeepTheRestriction(TestCase):
    @settings(max_examples=25, deadline=None)
    @given(
        records=st.lists(
            st.tuples(
                st.sampled_from(COUNTRIES), restriction, st.lists(st.sampled_from(COUNTRIES), max_size=3)
            ),
            min_size=1,
            max_size=8,
        ),
        viewer=st.sampled_from(COUNTRIES),
    )
    def test_what_a_country_may_not_see_changes_none_of_its_figures(self, records, viewer):
        def finders(owner, r, wanted):
            return [c for c in wanted if policies.may_see(owner, r["access"], r["countries"], c)]

        visible = [x for x in records if policies.may_see(x[0], x[1]["access"], x[1]["countries"], viewer)]
        hidden = [x for x in records if x not in visible]
        for owner, r, wanted in visible:
            contribute(owner, r, finders(owner, r, wanted))
        before = seen_by(viewer)
        for owner, r, wanted in hidden:
            contribute(owner, r, finders(owner, r, wanted))
        assert seen_by(viewer) == before
        gs = {f.key: f for f in figures.gs(figures.Filters(clock.now().date(), clock.now().date()))}
        made = sum(row[3] for row in gs["records"].rows) if gs["records"].rows else 0
        assert made == len(records)  # the GS's own figures count them all, restricted or not
