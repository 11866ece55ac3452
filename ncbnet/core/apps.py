from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ncbnet.core"
    label = "core"
    verbose_name = "Registry and people"

    def ready(self) -> None:
        from . import storage  # noqa: F401 - registers the checkpoint with the network worker
