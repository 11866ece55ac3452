from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "ncbnet.security"
    label = "security"

    def ready(self) -> None:
        from ncbnet.base import api

        from . import services, throttle  # noqa: F401 - throttle registers its periodic job with the network worker

        api.use_tokens(api.Tokens(services.authenticate_token, services.SignInError, services.refuse_scope))
