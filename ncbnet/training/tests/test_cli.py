"""`ncbnet training verify FILE`: exit 0 and who and what for a valid certificate, 1 with the
reasons for one that is not, 2 with a one-line message for a file that is not a certificate."""

import json

import pytest

from ncbnet.cli import main
from ncbnet.training import services

from . import helpers

pytestmark = pytest.mark.django_db


def test_verify(peers, user_factory, tmp_path, capsys):
    course = helpers.from_hub(peers)
    learner = user_factory("agency", "query", username="fr-learner")
    e = helpers.passed(learner, course)
    credential = helpers.badge(peers, e)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(credential))
    assert main(["training", "verify", str(good)]) == 0
    out = capsys.readouterr().out
    assert (
        out.startswith("valid: Test Query (urn:ncbnet:FR:user:fr-learner), INFOSEC:1")
        and "not checked" in out
    )
    credential["credentialSubject"]["name"] = "Someone Else"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(credential))
    assert main(["training", "verify", str(bad)]) == 1
    assert "signature does not match" in capsys.readouterr().out
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert main(["training", "verify", str(broken)]) == 2
    assert "not JSON" in capsys.readouterr().err
    assert main(["training", "verify", str(tmp_path / "missing.json")]) == 2
    assert services.courses()[0].code == "INFOSEC"
