from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ncbnet.core"
    label = "core"
    verbose_name = "Registry and people"
