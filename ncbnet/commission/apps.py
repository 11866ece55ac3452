from django.apps import AppConfig


class CommissionConfig(AppConfig):
    name = "ncbnet.commission"
    label = "commission"
    verbose_name = "Commission for the Control of Files"

    def ready(self) -> None:
        from . import consultations  # noqa: F401 - registers the envelope handlers
