from django.urls import path

from . import views

app_name = "hits"
urlpatterns = [
    path("hits/", views.hit_list, name="list"),
    path("hits/alerts/", views.alerts, name="alerts"),
    path("hits/<uuid:report_id>/", views.hit_detail, name="detail"),
]
