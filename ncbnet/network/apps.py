from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "ncbnet.network"
    label = "network"
