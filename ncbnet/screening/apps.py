from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "ncbnet.screening"
    label = "screening"
