from django.urls import path

from . import views

app_name = "notices"
urlpatterns = [
    path("notices/", views.notice_list, name="list"),
    path("notices/<uuid:notice_id>/", views.notice_detail, name="detail"),
    path("notices/request/<str:kind>/", views.request_notice, name="request"),
    path("notices/diffuse/<str:kind>/", views.diffuse, name="diffuse"),
    path("notices/requests/", views.our_requests, name="requests"),
    path("notices/requests/<uuid:request_id>/edit/", views.edit_request, name="edit"),
    path("notices/requests/<uuid:request_id>/extend/", views.extend_request, name="extend"),
    path("notices/review-due/", views.review_due, name="review_due"),
    path("notices/requests/<uuid:request_id>/cancel/", views.cancel_request, name="cancel"),
    path("notices/requests/<uuid:request_id>/extract/", views.request_extract, name="extract"),
    path("review/", views.queue, name="queue"),
    path("review/<uuid:notice_id>/", views.decide, name="decide"),
    path("review/<uuid:notice_id>/extract/", views.decide_extract, name="decide_extract"),
    path("review/diffusions/", views.diffusions, name="diffusions"),
    path("review/diffusions/<uuid:diffusion_id>/", views.check, name="check"),
]
