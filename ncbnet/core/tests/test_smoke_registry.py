import json

import pycountry
import pytest

from ncbnet.config import member_codes
from ncbnet.core import services
from ncbnet.core.models import NCB, Country
from ncbnet.core.registry import members_data


def test_members_file_has_196_iso_countries_and_cites_a_source():
    data = members_data()
    codes = [m["code"] for m in data["members"]]
    assert len(codes) == len(set(codes)) == 196
    assert all(pycountry.countries.get(alpha_2=c) for c in codes)
    assert data["source"].strip()
    regions = {r["code"] for r in data["regions"]}
    bureaus = {b["code"] for b in data["regional_bureaus"]}
    assert all(m["region"] in regions for m in data["members"])
    assert all(m["regional_bureau"] in bureaus for m in data["members"] if m["regional_bureau"])
    assert "KP" not in codes and "PS" in codes and "VA" in codes


@pytest.mark.django_db
def test_every_member_has_a_country_and_an_ncb():
    assert Country.objects.count() == NCB.objects.count() == len(member_codes()) == 196
    assert services.get_country("fr").name == "France"


@pytest.mark.django_db
def test_unknown_country_code_is_a_clear_error():
    with pytest.raises(services.UnknownCountry, match="Unknown country code XX"):
        services.get_country("XX")


def test_police_contacts_cover_every_member():
    from ncbnet.public.services import CONTACTS_FILE

    data = json.loads(CONTACTS_FILE.read_text("utf-8"))
    assert set(data["contacts"]) == set(member_codes())
    assert data["source"].strip()
