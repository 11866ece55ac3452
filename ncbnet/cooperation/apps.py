from django.apps import AppConfig


class CooperationConfig(AppConfig):
    name = "ncbnet.cooperation"
    label = "cooperation"
    verbose_name = "Cooperation"

    def ready(self) -> None:
        from ncbnet.hits import signals as hits

        from . import receive  # noqa: F401 - registers the envelope handlers and the periodic jobs
        from .services import escalation

        hits.escalated_to_head.connect(escalation.hit_escalated, dispatch_uid="cooperation.hit_escalated")
        hits.answered.connect(escalation.hit_answered, dispatch_uid="cooperation.hit_answered")
