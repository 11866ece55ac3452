from django.urls import path

from . import views

app_name = "network"
urlpatterns = [path("network/", views.keys, name="keys")]
