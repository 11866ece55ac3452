"""Training across real processes (nats-server; the hub, FR, BR and KE, each with its server and
network worker): a course authored at the hub reaches Kenya; an agency user there is refused a
search with the course to take, is enrolled by the NCB, passes the quiz and receives the
certificate the hub issued after re-grading; with the hub stopped, France verifies it offline
(`ncbnet training verify`); revoked at the hub, it fails verification in France once the status
list arrives."""

import subprocess
import sys

import pytest

from ncbnet.testing.cluster import wait_for

pytestmark = pytest.mark.embedded

AUTHOR = """
from ncbnet.core import services as core
from ncbnet.training import services
from ncbnet.training.tests.helpers import course_data
trainer = core.create_user(None, username="t-trainer", password="a-long-test-passphrase", kind="gs",
                           role="trainer", temporary=False)
services.author(trainer, course_data())
services.set_requirements(trainer, {"query": ["INFOSEC"], "officer": ["INFOSEC"]})
print("ok")
"""

PEOPLE = """
from ncbnet.core import services as core
from ncbnet.core.models import Agency
ncb = core.local_ncb()
agency = Agency.objects.create(ncb=ncb, name="Kenya Police Service", kind="police")
for username, kind, role, agency_id in [("ke-trainee", "agency", "query", agency.pk),
                                        ("ke-training-officer", "ncb", "officer", None)]:
    core.create_user(None, username=username, password="a-long-test-passphrase", kind=kind, role=role,
                     agency_id=agency_id, first_name="Wanjiru", last_name="Trainee", temporary=False)
print("ok")
"""

SEARCH = """
from ncbnet.base.gates import GateRefused
from ncbnet.core.models import User
from ncbnet.screening import services
try:
    services.person(User.objects.get(username="ke-trainee"), "Daniel Otieno")
    print("allowed")
except GateRefused as refused:
    print(refused)
"""

TAKE = """
from ncbnet.core.models import User
from ncbnet.training import services
from ncbnet.training.tests.helpers import RIGHT
officer, trainee = User.objects.get(username="ke-training-officer"), User.objects.get(username="ke-trainee")
(e,) = services.enrol(officer, "INFOSEC", usernames=["ke-trainee"])
for key in e.course.module_keys():
    services.open_module(trainee, e.pk, key)
print(services.attempt(trainee, e.pk, RIGHT).passed)
"""

REVOKE = """
from ncbnet.core.models import User
from ncbnet.training import services
from ncbnet.training.models import Certificate
services.revoke(User.objects.get(username="t-trainer"), Certificate.objects.get().pk, "test of revocation")
print("ok")
"""


def verify_on(cluster, name, path):
    node = cluster.by_name[name]
    return subprocess.run(
        [sys.executable, "-m", "ncbnet.cli", "training", "verify", str(path)],
        env=cluster.env(node),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_a_certificate_is_earned_in_kenya_and_verified_offline_in_france(cluster, tmp_path):
    assert cluster.python("hub", AUTHOR).strip() == "ok"
    wait_for(
        lambda: cluster.count("KE", "training_course", "code = 'INFOSEC'") == 1, 90, "the course in Kenya"
    )
    wait_for(lambda: cluster.count("KE", "training_requirement") == 2, 90, "the requirements in Kenya")
    assert cluster.python("KE", PEOPLE).strip() == "ok"

    refused = cluster.python("KE", SEARCH).strip()
    assert "INFOSEC (Information security awareness)" in refused and "Training" in refused

    assert cluster.python("KE", TAKE).strip() == "True"
    wait_for(lambda: cluster.count("KE", "training_certificate") == 1, 90, "the certificate in Kenya")
    assert cluster.query("KE", "SELECT certificate FROM training_enrolment") == [("downloadable",)]
    assert cluster.query("hub", "SELECT passed, score FROM training_completion") == [(1, 100)]
    assert cluster.python("KE", SEARCH).strip() == "allowed"

    credential = cluster.query("KE", "SELECT credential FROM training_certificate")[0][0]
    path = tmp_path / "certificate.json"
    path.write_text(credential)

    cluster.stop_node("hub")
    try:
        checked = verify_on(cluster, "FR", path)
        assert checked.returncode == 0, checked.stderr
        assert checked.stdout.startswith("valid: Wanjiru Trainee (urn:ncbnet:KE:user:ke-trainee)")
        tampered = tmp_path / "tampered.json"
        tampered.write_text(credential.replace("Wanjiru", "Someone"))
        forged = verify_on(cluster, "FR", tampered)
        assert forged.returncode == 1 and "signature does not match" in forged.stdout
    finally:
        cluster.start_node("hub")

    assert cluster.python("hub", REVOKE).strip() == "ok"
    wait_for(lambda: cluster.count("FR", "training_statuslist") == 1, 90, "the status list in France")
    revoked = verify_on(cluster, "FR", path)
    assert revoked.returncode == 1 and "revoked by the General Secretariat" in revoked.stdout
    wait_for(lambda: cluster.count("KE", "training_statuslist") == 1, 90, "the status list in Kenya")
    assert "INFOSEC" in cluster.python("KE", SEARCH)
    assert cluster.count("FR", "network_quarantine", "claimed_type LIKE 'training.%'") == 0
