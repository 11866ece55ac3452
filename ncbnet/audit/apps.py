from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "ncbnet.audit"
    label = "audit"
