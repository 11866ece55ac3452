from django.apps import AppConfig


class CooperationConfig(AppConfig):
    name = "ncbnet.cooperation"
    label = "cooperation"
    verbose_name = "Cooperation"

    def ready(self) -> None:
        from . import receive  # noqa: F401 - registers the envelope handlers and the periodic jobs
