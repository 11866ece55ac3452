from django.urls import path

from . import views

app_name = "network"
urlpatterns = [
    path("network/", views.keys, name="keys"),
    path("network/quarantine/", views.quarantine_list, name="quarantine"),
    path("network/quarantine/<int:pk>/", views.quarantine_detail, name="quarantine_detail"),
]
