from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("countries/", views.countries, name="countries"),
    path("agencies/", views.agencies, name="agencies"),
    path("agencies/<int:agency_id>/", views.agency, name="agency"),
    path("people/new/", views.user_new, name="user_new"),
    path("people/<str:username>/active/", views.user_active, name="user_active"),
    path("account/", views.account, name="account"),
]
