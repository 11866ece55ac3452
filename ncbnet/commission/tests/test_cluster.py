"""A request's whole way through real processes (nats-server; the hub, FR, BR and KE, each with its
server and network worker): filed on the hub's portal without an account, declared admissible, the
owner bureau consulted and answering on its node, the record blocked out of every replica, its
deletion decided and carried out (gone from the hub and every replica), and the applicant seeing
each step with the reference and the secret."""

import http.cookiejar
import json
import re
import sqlite3
import urllib.parse
import urllib.request
import uuid

import pytest

from ncbnet.commission.tests.conftest import PDF
from ncbnet.testing.cluster import wait_for

pytestmark = pytest.mark.embedded

PERSON = {
    "names": [{"value": "Jean-Baptiste Lemoine", "script": "Latn"}],
    "date_of_birth": {"year": 1975, "month": 6, "day": 14},
    "sex": "M",
    "nationalities": ["fr"],
}


class Browser:
    """A visitor of the hub's portal: cookies kept, forms posted with their CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as response:
            return response.read().decode()

    def token(self, path: str) -> str:
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.get(path))
        assert found
        return found.group(1)

    def post(
        self, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes]] | None = None
    ) -> str:
        fields = {"csrfmiddlewaretoken": self.token(path), **fields}
        if files:
            boundary = uuid.uuid4().hex
            body = b"".join(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                for k, v in fields.items()
            )
            for name, (filename, content) in files.items():
                disposition = f'form-data; name="{name}"; filename="{filename}"'
                body += (
                    f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
                    "Content-Type: application/pdf\r\n\r\n".encode()
                    + content
                    + b"\r\n"
                )
            body += f"--{boundary}--\r\n".encode()
            content_type = f"multipart/form-data; boundary={boundary}"
        else:
            body = urllib.parse.urlencode(fields).encode()
            content_type = "application/x-www-form-urlencoded"
        request = urllib.request.Request(
            self.base + path,
            data=body,
            method="POST",
            headers={"Content-Type": content_type, "Referer": self.base + path},
        )
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.read().decode()


def commission_db(cluster, sql, params=()):
    path = cluster.data / "hub" / "commission.sqlite3"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as con:
        return list(con.execute(sql, params).fetchall())


def replica_holds(cluster, node, record_id):
    return cluster.count(node, "records_replicarecord", "id = ?", (record_id.replace("-", ""),)) == 1


def on_hub(cluster, code):
    return cluster.python(
        "hub",
        "from ncbnet.core.models import User\n"
        "from ncbnet.commission import consultations, services\n"
        "member = User.objects.get(username='ccf-member')\n"
        "secretariat = User.objects.get(username='ccf-secretariat')\n" + code,
    )


def test_a_request_from_filing_to_deletion_across_the_network(cluster):
    sent = cluster.api("FR", "POST", "/records/contributions", {"database": "persons", "data": PERSON})
    wait_for(
        lambda: cluster.api("FR", "GET", f"/records/contributions/{sent['id']}")["status"] == "accepted",
        90,
        "the hub's answer to the contribution",
    )
    rid = cluster.api("FR", "GET", f"/records/contributions/{sent['id']}")["record_id"]
    wait_for(lambda: all(replica_holds(cluster, n, rid) for n in ("FR", "BR", "KE")), 90, "the replicas")
    # The demo seed gave the hub its Commission accounts, ccf-member and ccf-secretariat.

    # Filed on the hub's portal, without an account.
    hub = Browser(f"http://127.0.0.1:{cluster.by_name['hub'].port}")
    police_rows = cluster.count("hub", "audit_auditentry")
    filed = hub.post(
        "/commission/file/",
        {
            "kind": "deletion",
            "filer": "self",
            "family_name": "Lemoine",
            "given_names": "Jean-Baptiste",
            "date_of_birth": "1975-06-14",
            "nationality": "FR",
            "email": "jb@example.org",
            "language": "fr",
            "asked": f"Delete the record {rid}.",
            "reasons": "Acquitted in 2021.",
        },
        {"identity": ("id.pdf", PDF)},
    )
    reference = re.search(r'id="reference">([^<]+)<', filed).group(1)
    secret = re.search(r'id="secret">([^<]+)<', filed).group(1)
    assert cluster.count("hub", "audit_auditentry") == police_rows  # nothing in the police database

    def status() -> str:
        return Browser(hub.base).post("/commission/follow/", {"reference": reference, "secret": secret})

    assert "Request received" in status()
    [(request_id,)] = commission_db(
        cluster, "SELECT id FROM commission_request WHERE reference = ?", (reference,)
    )
    request_id = str(uuid.UUID(request_id))

    # Admissible; the owner (FR) consulted over the network.
    on_hub(cluster, f"services.decide_admissibility(secretariat, '{request_id}', admissible=True, note='')")
    assert "Declared admissible" in status() and "Decision due by" in status()
    consultation = on_hub(
        cluster,
        f"c = consultations.consult(member, '{request_id}', database='records', subject='{rid}',"
        " question='Is the record still needed?')\nprint(c.pk)",
    ).strip()
    wait_for(lambda: cluster.count("FR", "commission_ownerconsultation") == 1, 90, "the consultation on FR")

    # FR's officer answers on FR's node; the answer reaches the Commission.
    cluster.python(
        "FR",
        "from ncbnet.core.models import User\nfrom ncbnet.commission import consultations\n"
        f"consultations.answer(User.objects.get(username='fr-officer'), '{consultation}',"
        " position='delete', note='Acquitted: the record should go.')\n",
    )

    def answered():
        rows = commission_db(
            cluster,
            "SELECT position FROM commission_consultation WHERE id = ?",
            (consultation.replace("-", ""),),
        )
        return rows and rows[0][0] == "delete"

    wait_for(answered, 90, "FR's position at the hub")
    assert "The data&#x27;s owner answered" in status()

    # Blocked while pending: out of every replica, the owner told.
    on_hub(cluster, f"consultations.block(member, '{consultation}', blocked=True)")
    wait_for(lambda: not any(replica_holds(cluster, n, rid) for n in ("FR", "BR", "KE")), 90, "the block")
    wait_for(lambda: cluster.count("FR", "records_owneralert", "event = 'blocked'") == 1, 90, "FR told")
    assert (
        cluster.count("hub", "records_record", "id = ? AND blocked_at IS NOT NULL", (rid.replace("-", ""),))
        == 1
    )
    assert "Access to the data blocked" in status()

    # Deletion decided and carried out: gone from the hub and every replica.
    on_hub(
        cluster,
        f"consultations.decide(member, '{request_id}', decision='delete', reasons='Kept without need.')",
    )
    assert cluster.count("hub", "records_record", "id = ?", (rid.replace("-", ""),)) == 0
    assert cluster.count("hub", "records_recordversion", "record_id = ?", (rid.replace("-", ""),)) == 0
    page = status()
    assert "The data is deleted" in page and "Kept without need." in page
    for node in ("FR", "BR", "KE"):
        assert not replica_holds(cluster, node, rid)
        labels = json.dumps(cluster.query(node, "SELECT label FROM records_replicarecord")).lower()
        assert "lemoine" not in labels
