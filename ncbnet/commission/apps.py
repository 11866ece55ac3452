from django.apps import AppConfig


class CommissionConfig(AppConfig):
    name = "ncbnet.commission"
    label = "commission"
    verbose_name = "Commission for the Control of Files"

    def ready(self) -> None:
        from . import consultations, services  # noqa: F401 - the envelope handlers and the hourly job
