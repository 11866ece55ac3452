from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "ncbnet.training"
    label = "training"
