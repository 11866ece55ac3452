"""Training: the GS's course catalogue, each node's enrolments and progress, Open Badges 3.0
certificates signed by the hub's key and verified offline, and the gates that refuse the network's
services to a user without a valid required certificate (docs/training.md)."""

from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "ncbnet.training"
    label = "training"

    def ready(self) -> None:
        from . import receive  # noqa: F401 - registers its envelopes, its job and the gate (services)
