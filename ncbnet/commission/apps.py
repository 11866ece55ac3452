from django.apps import AppConfig


class CommissionConfig(AppConfig):
    name = "ncbnet.commission"
    label = "commission"
    verbose_name = "Commission for the Control of Files"
