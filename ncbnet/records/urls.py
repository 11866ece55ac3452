from django.urls import path

from . import views, views_bulk

app_name = "records"
urlpatterns = [
    path("records/", views.search, name="search"),
    path("records/<uuid:record_id>/", views.detail, name="detail"),
    path("records/contribute/<str:database>/", views.contribute, name="contribute"),
    path("records/contributions/", views.contributions, name="contributions"),
    path("records/bulk/", views_bulk.bulk_imports, name="bulk_imports"),
    path("records/bulk/<uuid:job_id>/", views_bulk.bulk_import, name="bulk_import"),
    path("records/bulk/<uuid:job_id>/outcome.csv", views_bulk.bulk_outcome, name="bulk_outcome"),
    path("records/feeds/", views_bulk.feeds, name="feeds"),
]
