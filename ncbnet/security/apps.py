from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "ncbnet.security"
    label = "security"
