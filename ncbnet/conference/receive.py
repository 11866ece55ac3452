"""The conference's envelopes as they arrive. Only the hub sends the conference, its agenda,
documents, minutes, resolutions' states, polls, results and actions; only a bureau's node sends
its delegation, its resolutions and its ballots, each for its own country (the sender). Anything
else, or anything that does not check, is quarantined with its audit entry by the network's
entrance; a ballot the hub refuses on the merits (not credentialed, twice, outside a started poll)
is answered with `conference.ballot_answer` saying why."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.dispatch import receiver

from ncbnet.network.envelope import Rejected
from ncbnet.network.handlers import Arrived, register, require_hub
from ncbnet.network.signals import node_joined

from . import services
from .schemas import (
    ActionBody,
    AgendaBody,
    BallotAnswerBody,
    BallotBody,
    ConferenceBody,
    CredentialsBody,
    DocumentBody,
    MinutesBody,
    PollBody,
    RegistrationBody,
    ResolutionBody,
    ResultBody,
    SubmissionBody,
)

TO_HUB = "a delegation's registration, resolutions and ballots go to the hub"
FROM_BUREAU = "come from a bureau's node"


def _refused(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except ValueError as refused:
        raise Rejected(str(refused)) from refused


def _from_hub(kind: str, body_type: type, keep: Callable[[Any], Any], what: str) -> None:
    def handle(envelope: Arrived, body: Any) -> None:
        require_hub(envelope, what)
        _refused(lambda: keep(body))

    handle.__name__ = kind.replace(".", "_")
    register(kind, body_type)(handle)


_from_hub(services.PUBLISHED, ConferenceBody, services.keep_conference, "conferences")
_from_hub(services.AGENDA, AgendaBody, services.keep_agenda, "agendas")
_from_hub(services.DOCUMENT, DocumentBody, services.keep_document, "conference documents")
_from_hub(services.MINUTES, MinutesBody, services.keep_minutes, "minutes")
_from_hub(services.CREDENTIALS, CredentialsBody, services.keep_credentials, "credentials")
_from_hub(services.RESOLUTION_STATE, ResolutionBody, services.keep_resolution, "resolutions' states")
_from_hub(services.POLL, PollBody, services.keep_poll, "polls")
_from_hub(services.BALLOT_ANSWER, BallotAnswerBody, services.keep_ballot_answer, "answers to ballots")
_from_hub(services.RESULT, ResultBody, services.keep_result, "results")
_from_hub(services.ACTION, ActionBody, services.keep_action, "actions")


@register(services.REGISTRATION, RegistrationBody, to_hub=TO_HUB, from_bureau=f"registrations {FROM_BUREAU}")
def registration(envelope: Arrived, body: RegistrationBody) -> None:
    _refused(lambda: services.registration_arrived(envelope.sender, body))


@register(services.SUBMISSION, SubmissionBody, to_hub=TO_HUB, from_bureau=f"resolutions {FROM_BUREAU}")
def submission(envelope: Arrived, body: SubmissionBody) -> None:
    _refused(lambda: services.submission_arrived(envelope.sender, body))


@register(services.BALLOT, BallotBody, to_hub=TO_HUB, from_bureau=f"ballots {FROM_BUREAU}")
def ballot(envelope: Arrived, body: BallotBody) -> None:
    _refused(lambda: services.ballot_arrived(envelope.sender, body))


@receiver(node_joined)
def send_conferences(sender: Any, node: str, **kwargs: Any) -> None:
    if node != "hub":
        services.send_all_to(node)
