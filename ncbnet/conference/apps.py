"""The yearly Heads of NCB Conference: delegations and their credentials, the agenda, documents and
minutes, resolutions voted one country one vote with ballots signed by each bureau's node key and a
tally every bureau can recompute (docs/conference.md)."""

from django.apps import AppConfig


class ConferenceConfig(AppConfig):
    name = "ncbnet.conference"
    label = "conference"

    def ready(self) -> None:
        from . import receive  # noqa: F401 - registers the conference's envelopes
