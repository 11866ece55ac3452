from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "ncbnet.network"
    label = "network"

    def ready(self) -> None:
        from . import (
            directory,  # noqa: F401 - registers the "directory" envelope handler
            quarantine,  # noqa: F401 - registers the plumbing's pruning job
            storage,  # noqa: F401 - registers the database checkpoint
        )
