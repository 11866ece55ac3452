"""The demo network's story, step by step on real nodes, as `ncbnet up` tells it: requests in
every state between FR and BR, a case FR shares with BR and KE, an operation the GS
coordinates whose results count an arrest reported twice once. Each step is idempotent."""

import subprocess
import sys

import pytest

from ncbnet.testing.cluster import wait_for

pytestmark = pytest.mark.embedded


def story(cluster, name, node):
    result = subprocess.run(
        [sys.executable, "-m", "ncbnet.cli", "demo", "story", name],
        env=cluster.env(cluster.by_name[node]),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode in (0, 3), result.stderr
    return result.returncode == 0


def request_states(cluster, node):
    query = "SELECT state FROM cooperation_request WHERE title LIKE '[demo]%'"
    return sorted(state for (state,) in cluster.query(node, query))


def test_the_story_leaves_requests_in_every_state_and_a_shared_case(cluster):
    steps = [line.split(" (on ") for line in cluster.ncbnet(cluster.nodes[0], "demo", "story").splitlines()]
    for name, where in steps:
        wait_for(lambda name=name, where=where: story(cluster, name, where.rstrip(")")), 90, name)
    expected = sorted(
        ["received", "acknowledged", "clarification", "paused", "answered", "refused", "closed"]
    )
    assert request_states(cluster, "BR") == expected
    wait_for(lambda: request_states(cluster, "FR") == expected, 60, "FR's copies in the same states")
    for node in ("BR", "KE"):
        wait_for(lambda node=node: cluster.count(node, "cooperation_case") == 1, 60, f"the case on {node}")
    wait_for(
        lambda: cluster.count("FR", "cooperation_caseentry", "author_node = 'BR'") == 1, 60, "BR's entry"
    )
    assert cluster.count("hub", "cooperation_case") == 0
    assert cluster.query("BR", "SELECT state FROM cooperation_task") == [("acknowledged",)]
    assert cluster.query("FR", "SELECT state FROM cooperation_helprequest") == [("submitted",)]
    assert cluster.query("FR", "SELECT state, submitted_by FROM records_pendingcontribution") == [
        ("pending", "fr-paf")
    ]
    # The operation: finished at the hub with the participants' five results, the arrest FR and
    # BR both reported counted once.
    assert cluster.query("hub", "SELECT state FROM cooperation_operation") == [("finished",)]
    assert cluster.count("hub", "cooperation_operationresult") == 5
    assert cluster.count("hub", "cooperation_operationresult", "duplicate_of_id IS NOT NULL") == 1
    # The notices' life: FR's Yellow request sent back for changes, its Blue Notice due for its
    # periodic review (FR warned), its diffusion received by BR and KE.
    wait_for(
        lambda: (
            cluster.count("FR", "notices_noticerequest", "title = 'Léa Moreau' AND state = 'changes'") == 1
        ),
        60,
        "FR's request sent back for changes",
    )
    due = "title = 'Karim Benali' AND state = 'published' AND periodic_review_at IS NOT NULL"
    wait_for(lambda: cluster.count("FR", "notices_noticerequest", due) == 1, 60, "FR's notice due for review")
    for node in ("BR", "KE"):
        wait_for(
            lambda node=node: (
                cluster.count(
                    node, "notices_replicanotice", "source = 'diffusion' AND title = 'Yanis Ferrand'"
                )
                == 1
            ),
            60,
            f"FR's diffusion on {node}",
        )
    # The GS's publications: the last twelve months' figures and last year's report, on every node.
    assert cluster.count("hub", "analytics_publication") == 2
    for node in ("FR", "BR", "KE"):
        wait_for(
            lambda node=node: cluster.count(node, "analytics_publication") == 2, 60, f"publications on {node}"
        )
    # The conference: FR, BR and KE credentialed, one resolution adopted and one rejected, each
    # result on every node with its three signed ballots; the adopted one's actions.
    assert cluster.count("hub", "conference_registration", "state = 'complete'") == 3
    outcomes = "SELECT title, state FROM conference_resolution ORDER BY title"
    decided = [
        ("Amendment of the rules on retention of nominal data", "rejected"),
        ("Training before access to the network's services", "adopted"),
    ]
    assert cluster.query("hub", outcomes) == decided
    assert cluster.count("hub", "conference_action") == 2
    for node in ("FR", "BR", "KE"):
        wait_for(lambda node=node: cluster.query(node, outcomes) == decided, 60, f"the results on {node}")
    # Run again, every step does nothing more.
    for name, where in steps:
        assert story(cluster, name, where.rstrip(")"))
    assert request_states(cluster, "BR") == expected
