"""A request's whole way in a real browser, through real processes (nats-server; the hub, FR, BR and
KE, each with its server and network worker): a person files it on the hub's portal without an
account and without script, the secretariat declares it admissible, a member consults the owner
bureau (France), France's officer answers on France's node, the member blocks the record out of
every replica while the request is examined, then decides its deletion, which is carried out (the
record gone from the hub and every replica); the applicant sees each step with the reference and
the secret, and the Commission's tables are in the Commission's own database."""

import json
import sqlite3
import uuid

import pytest

from ncbnet.commission.tests.conftest import file_in_browser, follow_in_browser
from ncbnet.testing.browser import CHROMIUM, CHROMIUM_ARGS, sign_in
from ncbnet.testing.cluster import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.embedded]

PERSON = {
    "names": [{"value": "Jean-Baptiste Lemoine", "script": "Latn"}],
    "date_of_birth": {"year": 1975, "month": 6, "day": 14},
    "sex": "M",
    "nationalities": ["fr"],
}


def commission_db(cluster, sql, params=()):
    path = cluster.data / "hub" / "commission.sqlite3"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as con:
        return list(con.execute(sql, params).fetchall())


def replica_holds(cluster, node, record_id):
    return cluster.count(node, "records_replicarecord", "id = ?", (record_id.replace("-", ""),)) == 1


def test_a_request_from_filing_to_deletion_in_a_browser_across_the_network(browser_cluster):
    cluster = browser_cluster
    from playwright.sync_api import expect, sync_playwright

    sent = cluster.api("FR", "POST", "/records/contributions", {"database": "persons", "data": PERSON})
    wait_for(
        lambda: cluster.api("FR", "GET", f"/records/contributions/{sent['id']}")["status"] == "accepted",
        90,
        "the hub's answer to the contribution",
    )
    rid = cluster.api("FR", "GET", f"/records/contributions/{sent['id']}")["record_id"]
    wait_for(lambda: all(replica_holds(cluster, n, rid) for n in ("FR", "BR", "KE")), 90, "the replicas")
    hub = f"http://127.0.0.1:{cluster.by_name['hub'].port}"
    fr = f"http://127.0.0.1:{cluster.by_name['FR'].port}"
    police_rows = cluster.count("hub", "audit_auditentry")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        expect.set_options(timeout=20_000)
        # The person, on a phone, without script (the demo seed gave the hub its Commission's
        # accounts, ccf-member and ccf-secretariat; FR has fr-officer).
        person = browser.new_context(
            locale="en-GB", viewport={"width": 390, "height": 844}, java_script_enabled=False
        ).new_page()
        person.goto(hub + "/commission/file/")
        file_in_browser(
            person,
            family="Lemoine",
            given="Jean-Baptiste",
            born="1975-06-14",
            nationality="FR",
            asked=f"Delete the record {rid}.",
            why="Acquitted in 2021.",
        )
        expect(person.get_by_role("heading", level=1)).to_have_text("Request filed")
        reference = person.locator("#reference").inner_text()
        secret = person.locator("#secret").inner_text()
        assert cluster.count("hub", "audit_auditentry") == police_rows  # nothing in the police database

        def applicant_sees(text: str) -> None:
            follow_in_browser(person, hub, reference, secret)
            expect(person.get_by_role("main")).to_contain_text(text)

        applicant_sees("Request received")
        # The Commission's tables are in its own database, not the node's.
        [(request_id,)] = commission_db(
            cluster, "SELECT id FROM commission_request WHERE reference = ?", (reference,)
        )
        request_path = f"/commission/requests/{uuid.UUID(request_id)}/"
        assert not cluster.query("hub", "SELECT name FROM sqlite_master WHERE name = 'commission_request'")

        # The secretariat declares it admissible: the clock starts.
        secretariat = browser.new_context(locale="en-GB").new_page()
        sign_in(secretariat, hub, "ccf-secretariat")
        secretariat.goto(hub + "/commission/requests/")
        secretariat.get_by_role("link", name=reference).click()
        secretariat.get_by_label("Admissible", exact=True).check()
        secretariat.get_by_role("button", name="Record", exact=True).click()
        expect(secretariat.get_by_role("main")).to_contain_text("Declared admissible")
        applicant_sees("Decision due by")

        # A member consults the owner bureau over the network.
        member = browser.new_context(locale="en-GB").new_page()
        sign_in(member, hub, "ccf-member")
        member.goto(hub + request_path)
        member.get_by_label("Where the data is").select_option("records")
        member.get_by_label("Its identifier").fill(rid)
        member.get_by_label("What the Commission asks the owner bureau").fill("Is the record still needed?")
        member.get_by_role("button", name="Send to the owner bureau").click()
        expect(member.get_by_role("main")).to_contain_text("Waiting")
        wait_for(
            lambda: cluster.count("FR", "commission_ownerconsultation") == 1, 90, "the consultation on FR"
        )

        # France's officer answers on France's node.
        officer = browser.new_context(locale="en-GB").new_page()
        sign_in(officer, fr, "fr-officer")
        officer.goto(fr + "/commission/consultations/")
        officer.get_by_role("link", name="Jean-Baptiste Lemoine").click()
        expect(officer.get_by_role("main")).to_contain_text("Is the record still needed?")
        officer.get_by_label("Delete the data").check()
        officer.get_by_label("Reasons, for the Commission").fill("Acquitted: the record should go.")
        officer.get_by_role("button", name="Send to the Commission").click()
        expect(officer.locator("#position")).to_contain_text("Delete the data")

        def answered() -> bool:
            member.reload()
            return "Acquitted: the record should go." in member.get_by_role("main").inner_text()

        wait_for(answered, 90, "France's position at the hub")
        applicant_sees("The data's owner answered")

        # Blocked while the request is examined: out of every replica, France told.
        member.get_by_role("button", name="Block while pending").click()
        expect(member.get_by_role("main")).to_contain_text("Blocked")
        wait_for(lambda: not any(replica_holds(cluster, n, rid) for n in ("FR", "BR", "KE")), 90, "the block")
        applicant_sees("Access to the data blocked")

        def france_told() -> bool:
            officer.reload()
            return "Blocked by the Commission" in officer.get_by_role("main").inner_text()

        wait_for(france_told, 90, "France told of the block")

        # The deletion decided and carried out: gone from the hub and every replica.
        member.get_by_label("The data is deleted").check()
        member.get_by_label("Reasons, for the applicant").fill("Kept without need.")
        member.get_by_role("button", name="Record the decision").click()
        expect(member.locator("#decision")).to_contain_text("The data is deleted")
        assert cluster.count("hub", "records_record", "id = ?", (rid.replace("-", ""),)) == 0
        assert cluster.count("hub", "records_recordversion", "record_id = ?", (rid.replace("-", ""),)) == 0
        applicant_sees("The data is deleted")
        expect(person.get_by_role("main")).to_contain_text("Kept without need.")

        def france_reads_the_decision() -> bool:
            officer.reload()
            return "The data is deleted" in officer.get_by_role("main").inner_text()

        wait_for(france_reads_the_decision, 90, "the decision on France's node")
        browser.close()

    for node in ("FR", "BR", "KE"):
        assert not replica_holds(cluster, node, rid)
        labels = json.dumps(cluster.query(node, "SELECT label FROM records_replicarecord")).lower()
        assert "lemoine" not in labels
