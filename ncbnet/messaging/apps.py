from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "ncbnet.messaging"
    label = "messaging"

    def ready(self) -> None:
        from . import receive  # noqa: F401 - registers the message and receipt envelope handlers
