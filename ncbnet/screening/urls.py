from django.urls import path

from . import views

app_name = "screening"
urlpatterns = [
    path("screening/", views.screen, name="screen"),
    path("screening/manifests/", views.manifest_list, name="manifests"),
    path("screening/manifests/<uuid:manifest_id>/", views.manifest, name="manifest"),
    path("screening/manifests/<uuid:manifest_id>/result.csv", views.manifest_result, name="result"),
]
