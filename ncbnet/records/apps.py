from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "ncbnet.records"
    label = "records"
    verbose_name = "Global databases"
