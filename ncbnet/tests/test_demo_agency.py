"""The demo story's agency step on FR's node: FR's administrator adds an agency, grants one of its
officers contribute access, and that officer's stolen passport waits for FR's approval. Run again,
it does nothing more."""

import pytest

from ncbnet.demo import people, story
from ncbnet.records.models import PendingContribution

pytestmark = pytest.mark.django_db


def test_the_agency_step_leaves_one_contribution_waiting_for_approval():
    people.seed()
    assert story.fr_agency_contribution() == "an agency's stolen passport waits for FR's approval"
    assert story.fr_agency_contribution() == "already submitted"
    pending = PendingContribution.objects.get()
    assert (pending.state, pending.submitted_by, pending.agency.name) == ("pending", "fr-paf", story.AGENCY)
    assert pending.agency.ncb.country_id == "FR"
