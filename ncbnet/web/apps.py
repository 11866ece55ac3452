from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "ncbnet.web"
    label = "web"
