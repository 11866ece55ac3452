from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "ncbnet.analytics"
    label = "analytics"
