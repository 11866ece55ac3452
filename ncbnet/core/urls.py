from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("countries/", views.countries, name="countries"),
    path("agencies/", views.agencies, name="agencies"),
    path("agencies/<int:agency_id>/", views.agency, name="agency"),
    path("people/", views.users, name="users"),
    path("people/new/", views.user_new, name="user_new"),
    path("people/<str:username>/", views.user_detail, name="user_detail"),
    path("people/<str:username>/active/", views.user_active, name="user_active"),
    path("people/<str:username>/unlock/", views.user_unlock, name="user_unlock"),
    path("people/<str:username>/password/", views.user_password_reset, name="user_password_reset"),
    path(
        "people/<str:username>/second-factor/",
        views.user_second_factor_reset,
        name="user_second_factor_reset",
    ),
    path("account/", views.account, name="account"),
]
