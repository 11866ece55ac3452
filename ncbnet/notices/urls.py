from django.urls import path

from . import views

app_name = "notices"
urlpatterns = [
    path("notices/", views.notice_list, name="list"),
    path("notices/<uuid:notice_id>/", views.notice_detail, name="detail"),
    path("review/", views.queue, name="queue"),
    path("review/<uuid:notice_id>/", views.decide, name="decide"),
    path("review/diffusions/", views.diffusions, name="diffusions"),
    path("review/diffusions/<uuid:diffusion_id>/", views.check, name="check"),
]
