from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "ncbnet.screening"
    label = "screening"

    def ready(self) -> None:
        from . import index  # noqa: F401 - keeps the person index in step with the records
