from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "ncbnet.public"
    label = "public"
