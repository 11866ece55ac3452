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
    path("people/", views.users, name="users"),
    path("people/<str:username>/", views.user_detail, name="user_detail"),
    path("people/<str:username>/unlock/", views.user_unlock, name="user_unlock"),
    path("people/<str:username>/password/", views.user_password_reset, name="user_password_reset"),
    path(
        "people/<str:username>/second-factor/",
        views.user_second_factor_reset,
        name="user_second_factor_reset",
    ),
]
