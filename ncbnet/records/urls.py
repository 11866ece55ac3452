from django.urls import path

from . import views, views_bulk

app_name = "records"
urlpatterns = [
    path("records/", views.search, name="search"),
    path("records/<uuid:record_id>/", views.detail, name="detail"),
    path("records/<uuid:record_id>/edit/", views.edit, name="edit"),
    path("records/<uuid:record_id>/restriction/", views.restriction, name="restriction"),
    path("records/<uuid:record_id>/withdraw/", views.withdraw, name="withdraw"),
    path("records/<uuid:record_id>/extend/", views.extend, name="extend"),
    path("records/<uuid:record_id>/correct/", views.correct, name="correct"),
    path("records/changes/", views.changes, name="changes"),
    path("records/contribute/<str:database>/", views.contribute, name="contribute"),
    path("records/contributions/", views.contributions, name="contributions"),
    path("records/contributions/mine/", views.mine, name="mine"),
    path("records/contributions/to-approve/", views.to_approve, name="to_approve"),
    path("records/contributions/pending/<uuid:pending_id>/", views.pending, name="pending"),
    path(
        "records/contributions/pending/<uuid:pending_id>/decide/", views.pending_decide, name="pending_decide"
    ),
    path("records/bulk/", views_bulk.bulk_imports, name="bulk_imports"),
    path("records/bulk/<uuid:job_id>/", views_bulk.bulk_import, name="bulk_import"),
    path("records/bulk/<uuid:job_id>/outcome.csv", views_bulk.bulk_outcome, name="bulk_outcome"),
    path("records/feeds/", views_bulk.feeds, name="feeds"),
    path("records/snapshots/", views_bulk.snapshots, name="snapshots"),
]
