from django.urls import path

from . import views

app_name = "security"
urlpatterns = [
    path("login/", views.login_password, name="login"),
    path("login/verify/", views.login_verify, name="verify"),
    path("login/password/", views.login_first_password, name="first_password"),
    path("login/enrol/", views.login_enrol, name="enrol"),
    path("logout/", views.logout_view, name="logout"),
    path("account/password/", views.change_password, name="change_password"),
    path("account/notices/<int:notice_id>/seen/", views.notice_seen, name="notice_seen"),
]
