"""The demo's Heads of NCB Conference, told as story steps (`story.STORY`) on the nodes that act:
the GS publishes this year's conference with its timetable, agenda, documents in the four
languages and minutes, and two resolutions in plenary with their polls open; each bureau's head
registers its delegation; the GS credentials them; each head votes (ballots signed with the
bureau's node key); the GS publishes the results — one resolution adopted (simple majority), one
rejected (two thirds not reached) — and tracks the adopted one's actions.

Each step is idempotent and says `NotYet` while what it needs has not arrived over the network."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ncbnet.base import clock
from ncbnet.base.node import node_id
from ncbnet.conference import services
from ncbnet.conference.models import Action, Ballot, Conference, Poll, Registration, Resolution
from ncbnet.core.models import User

TITLE = "Heads of NCB Conference"
ADOPTED = "Training before access to the network's services"
REJECTED = "Amendment of the rules on retention of nominal data"
HEADS = {"FR": "Claire Martin", "BR": "Ana Souza", "KE": "Wanjiru Kamau"}
DELEGATES = {"FR": ["Hugo Bernard"], "BR": ["Paulo Oliveira", "Mariana Costa"], "KE": ["Otieno Odhiambo"]}
VOTES = {
    ADOPTED: {"FR": "yes", "BR": "yes", "KE": "abstain"},
    REJECTED: {"FR": "yes", "BR": "no", "KE": "no"},
}
DOCUMENTS = {
    "en": ("Report on training", "Training of national police on the network's services."),
    "fr": ("Rapport sur la formation", "Formation des polices nationales aux services du réseau."),
    "es": ("Informe sobre la formación", "Formación de las policías nacionales en los servicios de la red."),
    "ar": ("تقرير عن التدريب", "تدريب الشرطة الوطنية على خدمات الشبكة."),
}


class NotYet(Exception):
    """What this step works on has not arrived on this node yet."""


def _year() -> int:
    return clock.now().year


def _gs() -> User:
    return User.objects.get(username="gs-conference")


def _head() -> User:
    return User.objects.get(username=f"{node_id().lower()}-head")


def hub_conference() -> str:
    """The hub: the GS publishes this year's conference, with two resolutions put to polls."""
    if Conference.objects.filter(year=_year()).exists():
        return "already done"
    gs, now = _gs(), clock.now()
    day = datetime(now.year, now.month, now.day, 7, tzinfo=UTC) + timedelta(days=14)
    c = services.create_conference(
        gs,
        year=now.year,
        title=TITLE,
        starts=day.date(),
        ends=(day + timedelta(days=2)).date(),
        venue="Lyon, INTERPOL General Secretariat",
        languages=["en", "fr", "es", "ar"],
        submission_deadline=now + timedelta(days=7),
        time_zone="Europe/Paris",
    )
    opening = services.add_session(
        gs, c, title="Opening plenary", starts=day, ends=day + timedelta(hours=2), room="Hall A"
    )
    services.add_session(
        gs,
        c,
        title="Coffee break",
        kind="break",
        starts=day + timedelta(hours=2),
        ends=day + timedelta(hours=2, minutes=30),
    )
    work = services.add_session(
        gs,
        c,
        title="Plenary: resolutions",
        starts=day + timedelta(hours=2, minutes=30),
        ends=day + timedelta(hours=5),
        room="Hall A",
    )
    welcome = services.add_item(
        gs, opening, title="Opening and adoption of the agenda", speakers=["Secretary General", "President"]
    )
    training = services.add_item(
        gs, work, title="Training and access to the network", speakers=["Director of Capacity Building"]
    )
    rules = services.add_item(
        gs, work, title="Rules on the processing of data", speakers=["Legal Counsel"], majority="two_thirds"
    )
    for language, (title, text) in DOCUMENTS.items():
        services.add_document(
            gs,
            c,
            title=title,
            language=language,
            filename=f"training-{language}.txt",
            content=text.encode(),
            item=training,
        )
    services.add_minutes(gs, welcome, "The Secretary General opened the conference. The agenda was adopted.")
    services.add_minutes(
        gs,
        welcome,
        "The Secretary General opened the conference; the President welcomed the delegations. "
        "The agenda was adopted without change.",
    )
    for title, item in ((ADOPTED, training), (REJECTED, rules)):
        r = services.submit_resolution(
            gs,
            c,
            title=title,
            text=f"The Conference, considering the report on {item.title.lower()}, resolves …",
        )
        services.move_resolution(gs, r.pk, "admit", item=item)
        services.move_resolution(gs, r.pk, "plenary")
        services.move_poll(gs, services.create_poll(gs, r.pk).pk, "start")
    return f"the {now.year} conference published with its agenda, 4 documents and 2 polls open"


def _conference() -> Conference:
    c = Conference.objects.filter(year=_year()).first()
    if c is None:
        raise NotYet("the conference has not reached this node yet")
    return c


def bureau_registers() -> str:
    """A bureau: its head registers the delegation."""
    c, country = _conference(), node_id()
    if Registration.objects.filter(conference=c, country=country).exists():
        return "already done"
    services.register(_head(), c, HEADS[country], DELEGATES[country])
    return f"{country}'s delegation registered"


def hub_credentials() -> str:
    """The hub: the GS credentials the three delegations."""
    c = Conference.objects.get(year=_year())
    pending = list(c.registrations.filter(state=Registration.State.PENDING))
    if c.registrations.filter(state=Registration.State.COMPLETE).count() + len(pending) < len(HEADS):
        raise NotYet("not every delegation has reached the hub yet")
    for reg in pending:
        services.check_credentials(_gs(), reg.pk, accept=True)
    return f"{len(pending)} delegations credentialed" if pending else "already done"


def bureau_votes() -> str:
    """A bureau: once credentialed, its head votes on both resolutions."""
    c, country = _conference(), node_id()
    reg = Registration.objects.filter(conference=c, country=country).first()
    if reg is None or not reg.credentialed:
        raise NotYet("the delegation's credentials have not arrived yet")
    done = []
    for title, votes in VOTES.items():
        poll = Poll.objects.filter(resolution__conference=c, resolution__title=title).first()
        if poll is None:
            raise NotYet("the polls have not arrived yet")
        if poll.ballots.filter(country=country).exists() or poll.state != Poll.State.STARTED:
            continue
        services.vote(_head(), poll.pk, votes[country])
        done.append(title)
    return f"voted on {len(done)} resolutions" if done else "already done"


def hub_results() -> str:
    """The hub: once every ballot is counted, the GS closes both polls and publishes the results;
    the adopted resolution's actions are assigned and one is under way."""
    c = Conference.objects.get(year=_year())
    gs, done = _gs(), []
    for title in VOTES:
        poll = Poll.objects.get(resolution__conference=c, resolution__title=title)
        if poll.state == Poll.State.PUBLISHED:
            continue
        if poll.ballots.filter(status=Ballot.Status.COUNTED).count() < len(HEADS):
            raise NotYet(f"not every ballot on “{title}” has reached the hub yet")
        services.move_poll(gs, poll.pk, "finish")
        done.append(services.move_poll(gs, poll.pk, "publish").result["outcome"])
    adopted = Resolution.objects.get(conference=c, title=ADOPTED)
    if (
        adopted.state == Resolution.State.ADOPTED
        and not Action.objects.filter(resolution=adopted, assignee="KE").exists()
    ):
        services.add_action(gs, adopted.pk, "Train the border officers of the national agencies first", "KE")
        first = Action.objects.filter(resolution=adopted, assignee="GS").first()
        if first is not None:
            services.move_action(
                gs, first.pk, "in_progress", "The course catalogue is being written in the four languages."
            )
    return f"results published: {', '.join(done)}" if done else "already done"
