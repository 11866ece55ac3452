from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "ncbnet.notices"
    label = "notices"
    verbose_name = "Notices and diffusions"

    def ready(self) -> None:
        from . import services  # noqa: F401 - registers the periodic review with the network worker
