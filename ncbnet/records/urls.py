from django.urls import path

from . import views

app_name = "records"
urlpatterns = [
    path("records/", views.search, name="search"),
    path("records/<uuid:record_id>/", views.detail, name="detail"),
    path("records/contribute/<str:database>/", views.contribute, name="contribute"),
    path("records/contributions/", views.contributions, name="contributions"),
]
