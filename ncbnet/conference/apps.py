from django.apps import AppConfig


class ConferenceConfig(AppConfig):
    name = "ncbnet.conference"
    label = "conference"
