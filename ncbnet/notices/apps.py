from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "ncbnet.notices"
    label = "notices"
    verbose_name = "Notices and diffusions"
