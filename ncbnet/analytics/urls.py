from django.urls import path

from . import views

app_name = "analytics"
urlpatterns = [
    path("analytics/gs/", views.gs, name="gs"),
    path("analytics/gs/publish/", views.publish, name="publish"),
    path("analytics/gs/<str:name>", views.gs_download, name="gs_download"),  # flows.csv, flows.svg
    path("analytics/bureau/", views.bureau, name="bureau"),
    path("analytics/bureau/<str:name>", views.bureau_download, name="bureau_download"),
    path(
        "analytics/network/<uuid:publication_id>/<str:name>",
        views.published_download,
        name="published_download",
    ),
]
