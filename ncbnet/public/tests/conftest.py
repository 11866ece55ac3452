"""The hub's published extracts the public API and portal tests read."""

import pytest
from django.core.cache import caches

from ncbnet.base import clock
from ncbnet.notices import extracts, services
from ncbnet.notices.tests.test_extracts import FR, GS, PHOTO, in_review, unsc, yellow
from ncbnet.notices.tests.test_notices import red


@pytest.fixture(autouse=True)
def at_the_hub(hub):
    caches["public_api"].clear()
    caches["public_answers"].clear()


def publish(kind, data, details):
    n = in_review(FR, kind, data)
    extracts.request(FR, str(n.pk), details)
    services.review(GS, str(n.pk), "approve", "Meets the Rules.", extract="approve")
    return n, n.extract


@pytest.fixture
def published():
    with clock.frozen(clock.now().replace(year=2026, month=11, day=30, hour=12)):
        marc = publish(
            "red",
            red(
                subject={
                    "names": [{"value": "Marc Dupont"}],
                    "date_of_birth": {"year": 1979, "month": 6, "day": 2},
                    "nationalities": ["FR"],
                }
            ),
            {
                "sex": "M",
                "height": 1.82,
                "weight": 80,
                "eyes_colors_id": "BRO",
                "hairs_id": "BLA",
                "languages": ["fr", "en"],
                "place_of_birth": "Lyon",
                "country_of_birth": "FR",
                "distinguishing_marks": "Scar on the left cheek",
                "photos": [PHOTO, PHOTO],
            },
        )
        ana = publish(
            "red",
            red(
                subject={
                    "names": [{"value": "Ana Souza"}],
                    "date_of_birth": {"year": 2000, "month": 5, "day": 1},
                    "nationalities": ["BR", "PT"],
                },
                charges=["fraud"],
            ),
            {"sex": "F", "photos": [PHOTO]},
        )
        amira = publish(
            "yellow",
            yellow(),
            {"sex": "F", "mother_name": "HADDAD", "mother_forename": "Leila", "photos": [PHOTO]},
        )
        ivan = publish(
            "unsc",
            unsc(),
            {
                "un_reference": "QDi.001",
                "un_resolution": "1267 (1999)",
                "un_reference_date": "2001-01-25",
                "photos": [PHOTO],
            },
        )
        acme = publish(
            "unsc",
            {**unsc(), "subject": {"names": [{"value": "Acme Trading"}]}},
            {"entity": True, "un_reference": "QDe.002", "adresses": ["Kabul"]},
        )
        yield {"marc": marc, "ana": ana, "amira": amira, "ivan": ivan, "acme": acme}
