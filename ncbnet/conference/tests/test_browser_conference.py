"""In a real browser, through real processes (nats-server; the hub, FR, BR and KE, each with its
server and network worker): the head of Kenya's NCB registers the delegation on Kenya's node, the
GS's conference secretariat credentials it at the hub, the head votes on a resolution while its
poll is open (the ballot signed with Kenya's node key and counted at the hub), and sees the
published result, recomputed on Kenya's node from the signed ballots."""

import pytest

from ncbnet.testing.browser import CHROMIUM, CHROMIUM_ARGS, sign_in
from ncbnet.testing.cluster import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.embedded]

PREPARE = """
from datetime import UTC, date, datetime, timedelta
from ncbnet.base import clock
from ncbnet.conference import services
from ncbnet.core.models import User
gs = User.objects.get(username="gs-conference")
now = clock.now()
c = services.create_conference(gs, year=now.year, title="Heads of NCB Conference", starts=now.date(),
    ends=now.date() + timedelta(days=2), venue="Lyon", languages=["en", "fr", "es", "ar"],
    submission_deadline=now + timedelta(days=1))
s = services.add_session(gs, c, title="Plenary", starts=now + timedelta(hours=1),
    ends=now + timedelta(hours=3))
item = services.add_item(gs, s, title="Training before access", speakers=["Secretary General"])
r = services.submit_resolution(gs, c, title="Resolution on training before access",
    text="The Conference resolves ...")
services.move_resolution(gs, r.pk, "admit", item=item)
services.move_resolution(gs, r.pk, "plenary")
print(services.create_poll(gs, r.pk).pk)
"""


def test_kenya_registers_is_credentialed_votes_and_sees_the_result(browser_cluster):
    cluster = browser_cluster
    from playwright.sync_api import expect, sync_playwright

    poll = cluster.python("hub", PREPARE).strip()
    ke_poll = "id = ?", (poll.replace("-", ""),)
    wait_for(lambda: cluster.count("KE", "conference_poll", *ke_poll) == 1, 90, "the poll on Kenya's node")
    hub = f"http://127.0.0.1:{cluster.by_name['hub'].port}"
    ke = f"http://127.0.0.1:{cluster.by_name['KE'].port}"

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        expect.set_options(timeout=20_000)
        head = browser.new_context(locale="en-GB").new_page()
        sign_in(head, ke, "ke-head")
        head.get_by_role("link", name="Conference", exact=True).click()
        expect(head.get_by_role("heading", level=1)).to_contain_text("Heads of NCB Conference")
        head.get_by_role("link", name="Not registered yet: register the delegation").click()
        head.get_by_label("Head of the delegation").fill("Wanjiru Kamau")
        head.get_by_label("Delegates (one a line, at most 10)").fill("Otieno Odhiambo\nAmina Hassan")
        head.get_by_role("button", name="Register the delegation").click()
        expect(head.get_by_role("main")).to_contain_text("Pending: credentials to check")
        wait_for(
            lambda: (
                cluster.count("hub", "conference_registration", "country = 'KE' AND state = 'pending'") == 1
            ),
            90,
            "Kenya's delegation at the hub",
        )

        gs = browser.new_context(locale="en-GB").new_page()
        sign_in(gs, hub, "gs-conference")
        gs.goto(hub + "/conference/")
        gs.get_by_role("link", name="Credentials").click()
        row = gs.get_by_role("row").filter(has_text="Wanjiru Kamau")
        expect(row).to_contain_text("Otieno Odhiambo, Amina Hassan")
        row.get_by_role("button", name="Credential KE").click()
        expect(gs.get_by_role("main")).to_contain_text("Credentials checked: the bureau is told.")
        gs.goto(f"{hub}/conference/polls/{poll}/")
        gs.get_by_role("button", name="Start the vote").click()
        expect(gs.get_by_role("main")).to_contain_text("Voting open")

        wait_for(
            lambda: (
                cluster.count("KE", "conference_registration", "state = 'complete'") == 1
                and cluster.count("KE", "conference_poll", "state = 'started'") == 1
            ),
            90,
            "the credentials and the open poll on Kenya's node",
        )
        head.reload()
        expect(head.get_by_role("main")).to_contain_text("Complete: credentialed")
        head.get_by_role("link", name="Resolutions and votes").click()
        head.get_by_role("link", name="Poll: Voting open").click()
        head.get_by_role("button", name="Yes").click()
        expect(head.get_by_role("main")).to_contain_text("signed with the bureau's key and sent to the hub")
        wait_for(
            lambda: cluster.count("KE", "conference_ballot", "status = 'counted'") == 1,
            90,
            "the hub's answer",
        )
        head.reload()
        expect(head.get_by_role("main")).to_contain_text("Counted")

        gs.reload()
        expect(gs.get_by_role("main")).to_contain_text("1 ballot counted.")
        gs.get_by_role("button", name="Stop the vote").click()
        gs.get_by_role("button", name="Publish the result to every bureau").click()
        expect(gs.get_by_role("heading", name="Result: Adopted")).to_be_visible()

        wait_for(
            lambda: cluster.count("KE", "conference_poll", "state = 'published'") == 1, 90, "the result on KE"
        )
        head.reload()
        expect(head.get_by_role("heading", name="Result: Adopted")).to_be_visible()
        result = head.get_by_role("region", name="Result: Adopted")
        expect(result).to_contain_text("the tally recomputed: it matches")
        expect(result.get_by_role("table")).to_contain_text("KE")
        browser.close()
    assert cluster.ncbnet(cluster.by_name["KE"], "conference", "verify-tally", poll).startswith(
        f"poll {poll}: 1 ballots"
    )
