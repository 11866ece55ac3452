"""The demo network's story: what the bureaus do with each other once the network is up, so that
every cooperation page has something in it (requests in every state, tasks to national agencies, a
case shared by three bureaus, a finished operation with its results).

Each step runs on one node, through that node's services as its officers would act, and is
idempotent: run again, it does nothing. A step whose input has not arrived yet over the network
says so (`NotYet`) and `ncbnet up` tries it again a moment later. Refused in production mode.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction

from ncbnet.base import clock
from ncbnet.base.node import node_id
from ncbnet.cooperation.models import Case, HelpRequest, Operation, Request, State, Task
from ncbnet.cooperation.services import cases, operations, requests, tasks
from ncbnet.cooperation.services import help as helping
from ncbnet.core import services as core
from ncbnet.core.models import Agency, User
from ncbnet.network.delivery import connected_nodes
from ncbnet.records import approval, bulk, imports, lifecycle
from ncbnet.records.models import BulkImport, FeedJob, PendingContribution, RecordChange, ReplicaRecord
from ncbnet.security.models import TOTPDevice

from . import training
from .credentials import DEMO_PASSWORD, DEMO_TOTP_SECRET


class NotYet(Exception):
    """What this step works on has not arrived on this node yet."""


@dataclass(frozen=True)
class Step:
    name: str
    node: str
    run: Callable[[], str]


# The demo network's nodes: every step waits until this node's key directory has them all.
NODES = frozenset({"hub", "FR", "BR", "KE"})
TAG = "[demo] "  # every request the story makes starts with it, so a second run finds them


def _officer(prefix: str = "officer") -> User:
    return User.objects.get(username=f"{node_id().lower()}-{prefix}")


@dataclass(frozen=True)
class Ask:
    """One of FR's requests to BR, and what BR's officer does with it (`then`)."""

    title: str
    kind: str
    subjects: list[dict[str, str]]
    then: str
    action: str = ""
    urgent: bool = False
    urgency_ground: str = ""
    access: str = "direct"
    iccs: str = ""  # the crime category (a level-2 ICCS code), or none


# FR's requests to BR, one for each state BR leaves it in (the BR step's `then`).
FR_TO_BR: list[Ask] = [
    Ask(
        title="Locate Marc DUPONT, wanted for armed robbery",
        iccs="0401",
        kind="action",
        action="locate",
        urgent=True,
        urgency_ground="detention",
        access="direct",
        subjects=[{"type": "person", "name": "Marc Dupont", "date_of_birth": "1980-04-02", "sex": "M"}],
        then="leave",
    ),
    Ask(
        title="Verify the identity of a passport holder stopped at Guarulhos",
        kind="action",
        action="verify_identity",
        subjects=[{"type": "person", "name": "Jean-Pierre Lefevre", "nationality": "FR"}],
        then="acknowledge",
    ),
    Ask(
        title="Vehicle registrations linked to a fraud network",
        iccs="0701",
        kind="information",
        subjects=[{"type": "object", "name": "AB-123-CD", "description": "Peugeot 508, grey"}],
        then="clarify",
    ),
    Ask(
        title="Bank records of a suspect's company",
        iccs="0704",
        kind="information",
        access="indirect",
        subjects=[{"type": "object", "name": "Lefevre Import-Export Ltda"}],
        then="pause",
    ),
    Ask(
        title="Criminal record of Carla MENDES",
        kind="information",
        subjects=[{"type": "person", "name": "Carla Mendes", "date_of_birth": "1991"}],
        then="answer",
    ),
    Ask(
        title="Hear a witness of the Lyon jewellery theft",
        iccs="0502",
        kind="action",
        action="hear_witness",
        subjects=[{"type": "person", "name": "Rafael Teixeira"}],
        then="refuse",
    ),
    Ask(
        title="Address of a stolen-vehicle buyer",
        iccs="0502",
        kind="information",
        subjects=[{"type": "person", "name": "Bruno Carvalho"}],
        then="answer_and_close",
    ),
]


def fr_requests() -> str:
    """FR's officer asks BR for information and action, one request for each state of the story."""
    officer, made = _officer(), 0
    for spec in FR_TO_BR:
        title = TAG + spec.title
        if Request.objects.filter(title=title).exists():
            continue
        requests.send(
            officer,
            requests.Draft(
                to=["BR"],
                kind=spec.kind,
                action=spec.action,
                title=title,
                details="Details of the case are in the attached summary of the investigating magistrate.",
                legal_basis="Art. 3 of the bilateral police cooperation agreement",
                purpose="Criminal investigation 2026/PJ/1187 (Paris judicial police)",
                subjects=list(spec.subjects),
                urgent=spec.urgent,
                urgency_ground=spec.urgency_ground,
                access=spec.access,
                handling="H1",
                source_reliability="B",
                information_accuracy="2",
                iccs=spec.iccs,
            ),
        )
        made += 1
    return f"{made} requests sent to BR"


def br_answers() -> str:
    """BR's officer works on FR's requests: each is left in its own state."""
    officer, done = _officer(), 0
    arrived = {r.title: r for r in Request.objects.filter(direction="in", title__startswith=TAG)}
    if len(arrived) < len(FR_TO_BR):
        raise NotYet(f"{len(arrived)} of {len(FR_TO_BR)} requests from FR have arrived")
    for spec in FR_TO_BR:
        r = arrived[TAG + spec.title]
        if r.state != State.RECEIVED:
            continue
        then = spec.then
        if then == "acknowledge":
            requests.acknowledge(officer, r.pk, "Received; the federal police are checking.")
        elif then == "clarify":
            requests.ask_clarification(
                officer, r.pk, "Which registration country? The plate is not Brazilian."
            )
        elif then == "pause":
            requests.pause(officer, r.pk, "The bank records need a court order (Art. 5(2)).", 72)
        elif then == "answer":
            requests.answer(officer, r.pk, "No criminal record in Brazil under this name and date of birth.")
        elif then == "refuse":
            requests.refuse(officer, r.pk, "minor_offence", "Receiving stolen goods under 1 year here.")
        elif then == "answer_and_close":
            requests.answer(officer, r.pk, "Registered address: Rua Augusta 1200, São Paulo.", handling="H1")
        else:
            continue
        done += 1
    return f"{done} requests from FR worked on"


def fr_closes() -> str:
    """FR's officer closes the request BR answered in full."""
    spec = next(s for s in FR_TO_BR if s.then == "answer_and_close")
    r = Request.objects.filter(title=TAG + spec.title, direction="out").first()
    if r is None or r.state not in (State.ANSWERED, State.CLOSED):
        raise NotYet("BR's answer has not arrived yet")
    if r.state == State.CLOSED:
        return "already closed"
    requests.close(_officer(), r.pk, "Thank you: the suspect was arrested.")
    return "closed"


def br_tasks() -> str:
    """BR's officer tasks the federal police with FR's urgent request; the police acknowledge it."""
    if Task.objects.exists():
        return "already tasked"
    spec = next(s for s in FR_TO_BR if s.then == "leave")
    r = Request.objects.get(title=TAG + spec.title, direction="in")
    police = Agency.objects.get(name="Polícia Federal")
    task = tasks.create(
        _officer(),
        tasks.Draft(
            parent_kind="request",
            parent_id=str(r.pk),
            agency_id=police.pk,
            action="Locate Marc Dupont: last known address Rua Augusta 1200, São Paulo",
            legal_basis="Lei 13.445/2017, art. 84",
            details="Urgent (a detention decision is imminent in France). Report as soon as he is located.",
        ),
    )
    tasks.acknowledge(_officer("police"), task.pk, "Team sent to the address.")
    return "the federal police tasked and on it"


def fr_help() -> str:
    """FR's police ask their NCB for help abroad; it waits for the officer's review."""
    if HelpRequest.objects.exists():
        return "already asked"
    helping.submit(
        _officer("police"),
        helping.Draft(
            title="Owner of the lorry KBZ 123A seen at Calais with stolen cars",
            details="The lorry, Kenyan plates, was filmed three times at the port of Calais in October.",
            purpose="Investigation of an organised car-theft ring (parquet de Lille 2026/881)",
            legal_basis="Code de procédure pénale, art. 694",
            countries=["KE"],
            subjects=[{"type": "object", "name": "KBZ 123A", "description": "Scania lorry, white"}],
        ),
    )
    return "a request for help waits for FR's officer"


CASE_TITLE = TAG + "Operation ÉMERAUDE: a jewellery-theft gang across France, Brazil and Kenya"


def fr_case() -> str:
    """FR opens a cross-border case and shares it with BR (contribute) and KE (read)."""
    if Case.objects.filter(title=CASE_TITLE).exists():
        return "already open"
    officer = _officer()
    case = cases.create(
        officer,
        cases.Draft(
            title=CASE_TITLE,
            description="Thefts in Lyon, São Paulo and Nairobi with the same modus operandi.",
            severity="high",
            participants={"BR": "contribute", "KE": "read"},
        ),
    )
    cases.add_entry(officer, case.pk, "note", "CCTV from Lyon shows two suspects; stills to follow.")
    cases.add_task(officer, case.pk, "Compare the suspects' fingerprints", assignee_node="BR", mandatory=True)
    cases.change_status(officer, case.pk, "active")
    return "case opened and shared with BR and KE"


def br_case_entry() -> str:
    """BR adds what it found to the shared case."""
    case = Case.objects.filter(title=CASE_TITLE).first()
    if case is None:
        raise NotYet("FR's case has not arrived yet")
    if case.entries.filter(author_node="BR").exists():
        return "already added"
    cases.add_entry(
        _officer(), case.pk, "note", "Same gang identified in São Paulo: two arrests on 12 November."
    )
    return "entry added"


OPERATION = "PANGEA XVIII"


def _operation() -> Operation:
    op = Operation.objects.filter(code_name=OPERATION).first()
    if op is None:
        raise NotYet("the operation has not arrived yet")
    return op


def hub_operation() -> str:
    """The GS coordinates an operation against counterfeit medicines with FR, BR and KE."""
    if Operation.objects.filter(code_name=OPERATION).exists():
        return "already coordinated"
    today = clock.now().date()
    operations.create(
        User.objects.get(username="gs-analyst"),
        operations.Draft(
            code_name=OPERATION,
            series="Pangea",
            coordinating_body="General Secretariat, Illicit Markets sub-directorate",
            target_crime="Counterfeit and falsified medicines sold online",
            period_start=(today - timedelta(days=20)).isoformat(),
            period_end=(today - timedelta(days=6)).isoformat(),
            participants=["FR", "BR", "KE"],
            agencies=[
                {"country": "FR", "agency": "Douane (DGDDI)", "contact": "cyberdouane@douane.example"},
                {"country": "BR", "agency": "Receita Federal — Aduana", "contact": "+55 61 3412 0000"},
                {"country": "KE", "agency": "Pharmacy and Poisons Board", "contact": "+254 20 000 0000"},
            ],
            operational_hub="Lyon, General Secretariat",
            commodities=["medicines", "medical devices"],
            tools=["database searches", "notices", "diffusions"],
            state="active",
        ),
    )
    return "operation coordinated with FR, BR and KE"


# The operation's crime category: counterfeit and falsified medicines, acts against health and safety
MEDICINES = "0902"


def _results(spec: list[operations.ResultDraft]) -> str:
    op = _operation()
    if op.results.filter(reported_by=node_id()).exists():
        return "already reported"
    officer = _officer()
    for draft in spec:
        operations.report(officer, op.pk, draft)
    return f"{len(spec)} results reported"


def _day(days_after_start: int) -> str:
    return (_operation().period_start + timedelta(days=days_after_start)).isoformat()


def fr_results() -> str:
    """FR reports an arrest (a Red Notice subject) and a seizure."""
    return _results(
        [
            operations.ResultDraft(
                kind="arrest",
                iccs=MEDICINES,
                date=_day(3),
                person_name="Joseph Kamau",
                date_of_birth="1975-06-14",
                nationality="KE",
                notice_subject=True,
                place="Roissy-Charles de Gaulle",
            ),
            operations.ResultDraft(
                kind="seizure",
                iccs=MEDICINES,
                date=_day(4),
                commodity="medicines",
                quantity="12000",
                unit="boxes",
                value_usd="85000",
                place="Le Havre",
            ),
        ]
    )


def br_results() -> str:
    """BR reports the same arrest (its officers took part in it) and a seizure of its own."""
    return _results(
        [
            operations.ResultDraft(
                kind="arrest",
                iccs=MEDICINES,
                date=_day(3),
                person_name="KAMAU Joseph",
                date_of_birth="1975-06-14",
                nationality="KE",
                notice_subject=True,
                place="Roissy-Charles de Gaulle",
            ),
            operations.ResultDraft(
                kind="seizure",
                iccs=MEDICINES,
                date=_day(5),
                commodity="medicines",
                quantity="40000",
                unit="tablets",
                value_usd="120000",
                place="Santos",
            ),
            operations.ResultDraft(
                kind="site_closed", date=_day(6), count=37, note="Online pharmacies", iccs=MEDICINES
            ),
        ]
    )


def hub_finishes() -> str:
    """The GS finishes the operation once the participants' results are in."""
    op = _operation()
    if op.state == "finished":
        return "already finished"
    if op.results.count() < 5:
        raise NotYet(f"{op.results.count()} of 5 results have arrived")
    draft = operations.Draft(
        code_name=op.code_name,
        series=op.series,
        coordinating_body=op.coordinating_body,
        target_crime=op.target_crime,
        period_start=op.period_start.isoformat(),
        period_end=op.period_end.isoformat(),
        participants=list(op.participants),
        agencies=list(op.agencies),
        operational_hub=op.operational_hub,
        commodities=list(op.commodities),
        tools=list(op.tools),
        state="finished",
    )
    operations.update(User.objects.get(username="gs-analyst"), op.pk, draft)
    return "operation finished"


AGENCY = "Police aux frontières de Roissy"


def _agency_officer(admin: User, agency: Agency) -> User:
    user = core.create_user(
        admin,
        username="fr-paf",
        password=DEMO_PASSWORD,
        kind=User.Kind.AGENCY,
        role=User.Role.CONTRIBUTE,
        first_name="Inès",
        last_name="Marchand",
        agency_id=agency.pk,
        time_zone="Europe/Paris",
        temporary=False,  # a demo login: its password and authenticator are printed
    )
    TOTPDevice.objects.create(user=user, secret=DEMO_TOTP_SECRET, confirmed=True, created_at=clock.now())
    return user


def fr_agency_contribution() -> str:
    """FR's administrator adds a national agency and grants one of its officers contribute access;
    the officer submits a stolen passport, which waits for FR's officers to approve it."""
    admin = _officer("admin")
    agency = Agency.objects.filter(ncb__country_id=node_id(), name=AGENCY).first()
    if agency is None:
        agency = core.create_agency(admin, AGENCY, Agency.Kind.BORDER)
    user = User.objects.filter(username="fr-paf").first()
    if user is None:
        with transaction.atomic():
            user = _agency_officer(admin, agency)
    if PendingContribution.objects.filter(submitted_by=user.username).exists():
        return "already submitted"
    approval.submit(
        user,
        "documents",
        {
            "number": "19FV44021",
            "type": "passport",
            "issuing_country": "FR",
            "status": "stolen",
            "date": (clock.now().date() - timedelta(days=3)).isoformat(),
        },
    )
    return "an agency's stolen passport waits for FR's approval"


def fr_edits_records() -> str:
    """FR's officer edits one of its travel documents (now revoked, not just lost) and withdraws
    another (found again), from its node; the hub applies both and the replicas follow."""
    officer, done = _officer(), []
    own = ReplicaRecord.objects.filter(owner="FR", database="documents").order_by("label")
    if not RecordChange.objects.filter(action="edit").exists():
        record = own.first()
        if record is None:
            raise NotYet("FR's travel documents have not reached its replica yet")
        data = {**record.data, "status": "revoked"}
        lifecycle.submit(
            officer, record.pk, "edit", data=data, reason="[demo] revoked by the issuing authority"
        )
        done.append("edited")
    if not RecordChange.objects.filter(action="withdraw").exists():
        edited = RecordChange.objects.filter(action="edit").values_list("record_id", flat=True)
        record = own.exclude(pk__in=list(edited)).first()
        if record is None:
            raise NotYet("FR has no second travel document in its replica yet")
        lifecycle.submit(officer, record.pk, "withdraw", reason="[demo] found again by its holder")
        done.append("withdrawn")
    return f"FR's records: {', '.join(done) or 'nothing to do'}"


BULK_SOURCE = "seed:demo-bulk-feed"
BULK_DOCUMENTS = 2000
BULK_FILE = "demo-stolen-passports.csv"


def hub_bulk_feed() -> str:
    """Once every node is on the network, the hub writes travel documents in bulk: the network
    worker feeds each node what it may see, in chunks (`ncbnet records feed-status`)."""
    if FeedJob.objects.filter(source=BULK_SOURCE).exists():
        return "already written"
    counts = bulk.seed(documents=BULK_DOCUMENTS, seed_value=4242, source=BULK_SOURCE)
    return f"{counts['documents']} travel documents written in bulk, fed to the nodes by the network worker"


def fr_bulk_contribution() -> str:
    """FR's officer contributes a file of stolen passports in bulk; two of its rows are refused."""
    if BulkImport.objects.filter(filename=BULK_FILE).exists():
        return "already sent"
    rows = ["number,type,issuing_country,status,date"]
    rows += [f"FRB{n:06d},passport,FR,stolen,2026-0{1 + n % 9}-1{n % 10}" for n in range(1, 49)]
    rows += ["FRB999999,spaceship,FR,stolen,2026-01-01", "FRB999998,passport,XX,lost,2026-01-01"]
    job = imports.submit(_officer(), "documents", BULK_FILE, io.BytesIO("\n".join(rows).encode()))
    return f"{job.rows} rows read, sent to the hub by the network worker"


# The notices' life (issue #16): FR asks for a Yellow Notice (which the GS sends back for changes)
# and a Blue Notice (published long enough ago to be due for its periodic review), and sends a
# diffusion to BR and KE.
NOTICE_CHANGES = "Léa Moreau"
NOTICE_DUE = "Karim Benali"
DIFFUSED = "Yanis Ferrand"


def _subject(name: str, year: int) -> dict[str, object]:
    return {
        "names": [{"value": name, "script": "Latn", "kind": "primary"}],
        "date_of_birth": {"year": year},
        "nationalities": ["FR"],
    }


def fr_notices() -> str:
    """FR: the two notice requests and the diffusion, each once."""
    from ncbnet.base.chain import AuditEntry
    from ncbnet.notices import requests as notice_requests
    from ncbnet.notices.models import NoticeRequest

    officer, done = _officer(), []
    if not NoticeRequest.objects.filter(title=NOTICE_CHANGES).exists():
        data = {
            "subject": _subject(NOTICE_CHANGES, 2010),
            "missing_since": "2026-10-02",
            "place": "Marseille",
            "circumstances": "Left school at noon and did not come home.",
        }
        notice_requests.request(officer, "yellow", data, title=NOTICE_CHANGES)
        done.append("yellow requested")
    if not NoticeRequest.objects.filter(title=NOTICE_DUE).exists():
        data = {
            "subject": _subject(NOTICE_DUE, 1984),
            "information_sought": "Current address and associates: suspected of laundering for a fraud "
            "network.",
        }
        notice_requests.request(officer, "blue", data, title=NOTICE_DUE)
        done.append("blue requested")
    if not AuditEntry.objects.filter(action="diffusions.sent", actor=officer.username).exists():
        data = {
            "subject": _subject(DIFFUSED, 1991),
            "information_sought": "Believed to have left for Brazil or Kenya with a false passport.",
        }
        notice_requests.diffuse(officer, "blue", ["BR", "KE"], data)
        done.append("diffusion sent")
    return ", ".join(done) or "already done"


def hub_notices() -> str:
    """The hub: the GS sends FR's Yellow request back for changes and publishes its Blue Notice as
    published four years and eight months ago, so that FR is warned of its periodic review."""
    from ncbnet.base.actor import Actor
    from ncbnet.notices import services as notice_services
    from ncbnet.notices.models import Notice
    from ncbnet.notices.models import State as NoticeState

    gs = Actor("gs-reviewer", gs=True)
    waiting = {n.title: n for n in Notice.objects.filter(owner="FR", title__in=[NOTICE_CHANGES, NOTICE_DUE])}
    if len(waiting) < 2:
        raise NotYet("FR's notice requests have not reached the hub yet")
    done = []
    if waiting[NOTICE_CHANGES].state == NoticeState.IN_REVIEW:
        notice_services.review(
            gs,
            str(waiting[NOTICE_CHANGES].pk),
            "changes",
            "Say where and when she was last seen, and by whom.",
        )
        done.append("changes asked")
    if waiting[NOTICE_DUE].state == NoticeState.IN_REVIEW:
        with clock.travel(-timedelta(days=365 * 4 + 240)):
            notice_services.review(gs, str(waiting[NOTICE_DUE].pk), "approve", "Meets the Rules.")
        notice_services.tick()
        done.append("blue published, owner warned of its periodic review")
    return ", ".join(done) or "already done"


def hub_publishes() -> str:
    """The hub: the GS analyst publishes the network figures of the last twelve months and the
    report of last year to every bureau, so a bureau's head has published figures to read."""
    from ncbnet.analytics import figures
    from ncbnet.analytics import services as analytics
    from ncbnet.analytics.models import Publication

    analyst = User.objects.get(username="gs-analyst")
    period = figures.Filters.parse({})
    last_year = clock.now().year - 1
    done = []
    kept = Publication.objects.filter(kind=Publication.Kind.FIGURES, start=period.start, end=period.end)
    if not kept.exists():
        analytics.publish(analyst, Publication.Kind.FIGURES, period.start, period.end)
        done.append(f"figures of {period.start} to {period.end} published")
    if not Publication.objects.filter(kind=Publication.Kind.REPORT, start__year=last_year).exists():
        analytics.publish(analyst, Publication.Kind.REPORT, date(last_year, 1, 1), date(last_year, 12, 31))
        done.append(f"the report of {last_year} published")
    return ", ".join(done) or "already done"


def conference_steps() -> list[Step]:
    """The Heads of NCB Conference (`demo/conference.py`): published, registered, credentialed,
    voted on, its results published."""
    from . import conference as c

    def told(fn: Callable[[], str]) -> Callable[[], str]:
        def run() -> str:
            try:
                return fn()
            except c.NotYet as exc:
                raise NotYet(str(exc)) from exc

        return run

    return [
        Step("hub-conference", "hub", told(c.hub_conference)),
        *(Step(f"{n.lower()}-registers", n, told(c.bureau_registers)) for n in ("FR", "BR", "KE")),
        Step("hub-credentials", "hub", told(c.hub_credentials)),
        *(Step(f"{n.lower()}-votes", n, told(c.bureau_votes)) for n in ("FR", "BR", "KE")),
        Step("hub-conference-results", "hub", told(c.hub_results)),
    ]


def _waits(fn: Callable[[], str | None], what: str) -> Callable[[], str]:
    """A training step (demo/training.py): None from it means `what` has not arrived yet."""

    def run() -> str:
        done = fn()
        if done is None:
            raise NotYet(f"{what} not here yet")
        return done

    return run


STORY: list[Step] = [
    # First, so that the courses reach every bureau while the rest of the story runs.
    Step("hub-training-courses", "hub", training.hub_courses),
    Step("fr-requests", "FR", fr_requests),
    Step("br-answers", "BR", br_answers),
    Step("fr-closes", "FR", fr_closes),
    Step("br-tasks", "BR", br_tasks),
    Step("fr-help", "FR", fr_help),
    Step("fr-case", "FR", fr_case),
    Step("br-case-entry", "BR", br_case_entry),
    Step("hub-operation", "hub", hub_operation),
    Step("fr-results", "FR", fr_results),
    Step("br-results", "BR", br_results),
    Step("hub-finishes", "hub", hub_finishes),
    Step("fr-agency-contribution", "FR", fr_agency_contribution),
    Step("fr-edits-records", "FR", fr_edits_records),
    Step("hub-bulk-feed", "hub", hub_bulk_feed),
    Step("fr-bulk-contribution", "FR", fr_bulk_contribution),
    Step("fr-notices", "FR", fr_notices),
    Step("hub-notices", "hub", hub_notices),
    Step("hub-publishes", "hub", hub_publishes),
    *conference_steps(),
    # Training (demo/training.py): last, as the requirements it ends with gate searches and messages.
    Step("fr-training", "FR", _waits(training.bureau_takes_courses, "the courses")),
    Step("br-training", "BR", _waits(training.bureau_takes_courses, "the courses")),
    Step("ke-training", "KE", _waits(training.bureau_takes_courses, "the courses")),
    Step("hub-training-requirements", "hub", _waits(training.hub_requirements, "every bureau's completions")),
]


def run(name: str) -> str:
    """Run one step on this node; returns what it did."""
    if settings.NCBNET_MODE == "production":
        raise PermissionError("the demo story is refused in production mode")
    step = next((s for s in STORY if s.name == name), None)
    if step is None:
        raise KeyError(name)
    if step.node != node_id():
        raise ValueError(f"the step {name} runs on {step.node}, not on {node_id()}")
    missing = sorted(NODES - set(connected_nodes()))
    if missing:
        raise NotYet(f"the key directory on this node does not have {', '.join(missing)} yet")
    return step.run()
