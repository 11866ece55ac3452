"""A year of history at the hub, so that the GS analyst's dashboard has trends to show: over the
previous 12 months, each month, the demo bureaus contribute records and ask for Red Notices that
the GS publishes or refuses (some after the 24-hour target). Every event goes through the same
services as the rest of the demo, with the clock moved back (`clock.travel`): the figures come from
the events, so `ncbnet analytics rebuild` leaves them as they are. Refused in production mode."""

from __future__ import annotations

import random
import string
from datetime import timedelta

from django.conf import settings

from ncbnet.base import clock
from ncbnet.base.actor import Actor
from ncbnet.notices import services as notices
from ncbnet.records import services as records

from .records import GS, MAKES, OWNERS, VIN_CHARS, _people, _person, _red

MONTHS = 12
MARK = "[history]"  # the notices' facts say it: a second run finds them and adds nothing


def seed() -> int:
    """The year's contributions and notices at the hub, once; returns how many events were made."""
    if settings.NCBNET_MODE == "production":
        raise PermissionError("demo data is refused in production mode")
    if _done():
        return 0
    rnd = random.Random(2025)
    people, made = _people(), 0
    for back in range(MONTHS, 0, -1):
        with clock.travel(-timedelta(days=30 * back + rnd.randint(0, 20), hours=rnd.randint(0, 12))):
            for i, owner in enumerate(OWNERS):
                actor = Actor(f"{owner.lower()}-officer", owner)
                subject = records.contribute(
                    actor, "persons", _person(people[(back * 3 + i) % len(people)], rnd), None
                )
                records.contribute(
                    actor,
                    "vehicles",
                    {
                        "vin": "".join(rnd.choices(VIN_CHARS, k=17)),
                        "plate": "".join(rnd.choices(VIN_CHARS, k=7)),
                        "make": rnd.choice(MAKES),
                        "colour": "white",
                        "country": owner,
                    },
                )
                records.contribute(
                    actor,
                    "documents",
                    {
                        "number": "".join(rnd.choices(string.ascii_uppercase, k=2))
                        + "".join(rnd.choices(string.digits, k=7)),
                        "type": "passport",
                        "issuing_country": owner,
                        "status": "stolen",
                        "date": clock.now().date().isoformat(),
                    },
                )
                made += 3
                if (back + i) % 2:
                    continue
                notice = notices.draft(actor, "red", _red(subject, rnd, f"{MARK} Armed robbery series."))
                notices.submit(actor, str(notice.pk))
                # most reviewed within hours, one in four after the 24-hour target; one in six refused
                late = (back + i) % 4 == 0
                with clock.travel(timedelta(hours=30 if late else rnd.randint(1, 20))):
                    refused = (back + i) % 6 == 0
                    notices.review(
                        GS,
                        str(notice.pk),
                        "reject" if refused else "approve",
                        "Not enough judicial data." if refused else "Meets the Rules.",
                    )
                made += 2
    return made


def _done() -> bool:
    from ncbnet.notices.models import Notice

    return Notice.objects.filter(data__facts__summary__startswith=MARK).exists()
