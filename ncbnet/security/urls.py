from django.urls import path

from . import views

app_name = "security"
urlpatterns = [
    path("login/", views.login_password, name="login"),
    path("login/verify/", views.login_verify, name="verify"),
    path("login/enrol/", views.login_enrol, name="enrol"),
    path("logout/", views.logout_view, name="logout"),
]
