from django.urls import path

from . import views

app_name = "training"
urlpatterns = [
    path("training/", views.home, name="home"),
    path("training/courses/<str:code>/enrol/", views.self_enrol, name="self_enrol"),
    path("training/enrolments/<uuid:enrolment_id>/", views.enrolment, name="enrolment"),
    path("training/enrolments/<uuid:enrolment_id>/modules/<str:key>/", views.module, name="module"),
    path(
        "training/enrolments/<uuid:enrolment_id>/modules/<str:key>/material/<int:index>",
        views.material,
        name="material",
    ),
    path("training/enrolments/<uuid:enrolment_id>/quiz/", views.quiz, name="quiz"),
    path("training/enrolments/<uuid:enrolment_id>/abandon/", views.abandon, name="abandon"),
    path("training/enrolments/<uuid:enrolment_id>/statements.json", views.statements, name="statements"),
    path("training/bureau/", views.bureau, name="bureau"),
    path("training/certificates/<uuid:certificate_id>/", views.certificate, name="certificate"),
    path("training/certificates/<uuid:certificate_id>.json", views.certificate_json, name="certificate_json"),
    path("training/verify/", views.verify, name="verify"),
    path("training/gs/", views.gs, name="gs"),
    path("training/gs/certificates/<uuid:certificate_id>/revoke/", views.revoke, name="revoke"),
]
