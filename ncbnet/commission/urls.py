from django.urls import path

from . import views

app_name = "commission"
urlpatterns = [
    path("commission/", views.portal, name="portal"),
    path("commission/file/", views.file, name="file"),
    path("commission/follow/", views.follow, name="follow"),
    path("commission/requests/", views.requests, name="requests"),
    path("commission/requests/<uuid:request_id>/", views.detail, name="detail"),
    path("commission/requests/<uuid:request_id>/admissibility/", views.admissibility, name="admissibility"),
    path("commission/requests/<uuid:request_id>/consult/", views.consult, name="consult"),
    path(
        "commission/requests/<uuid:request_id>/consultations/<uuid:consultation_id>/block/",
        views.block,
        name="block",
    ),
    path("commission/requests/<uuid:request_id>/decision/", views.decide, name="decide"),
    path("commission/figures/", views.figures, name="figures"),
    path("commission/consultations/", views.consultations_list, name="consultations"),
    path("commission/consultations/<uuid:consultation_id>/", views.consultation, name="consultation"),
    path(
        "commission/requests/<uuid:request_id>/documents/<int:document_id>/",
        views.document,
        name="document",
    ),
]
