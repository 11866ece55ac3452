from typing import Any

from django.apps import AppConfig
from django.core.signals import setting_changed


class HoldingsConfig(AppConfig):
    name = "ncbnet.holdings"
    label = "holdings"
    verbose_name = "Holdings"

    def ready(self) -> None:
        from ncbnet.base import holdings

        from . import choose

        holdings.provide(choose)
        setting_changed.connect(_node_changed, dispatch_uid="ncbnet.holdings.node_changed")


def _node_changed(setting: str, **kwargs: Any) -> None:
    """A test made this node another one: choose its holdings again."""
    if setting in ("NCBNET_ROLE", "NCBNET_COUNTRY"):
        from ncbnet.base import holdings

        holdings.forget()
