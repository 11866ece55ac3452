from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "ncbnet.audit"
    label = "audit"

    def ready(self) -> None:
        from . import anchoring  # noqa: F401 - registers the "audit.seal" envelope handler
