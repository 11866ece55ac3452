from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "ncbnet.security"
    label = "security"

    def ready(self) -> None:
        from . import throttle  # noqa: F401 - registers its periodic job with the network worker
