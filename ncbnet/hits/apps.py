from django.apps import AppConfig


class HitsConfig(AppConfig):
    name = "ncbnet.hits"
    label = "hits"

    def ready(self) -> None:
        from . import services  # noqa: F401 - registers the envelope handlers and the escalation job
