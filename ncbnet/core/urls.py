from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("countries/", views.countries, name="countries"),
    path("agencies/", views.agencies, name="agencies"),
    path("agencies/new/", views.agency_new, name="agency_new"),
    path("agencies/<int:agency_id>/", views.agency, name="agency"),
    path("agencies/<int:agency_id>/edit/", views.agency_edit, name="agency_edit"),
    path("agencies/<int:agency_id>/close/", views.agency_close, name="agency_close"),
    path("agencies/<int:agency_id>/users/", views.agency_user_new, name="agency_user_new"),
    path("sub-bureaus/", views.sub_bureaus, name="sub_bureaus"),
    path("sub-bureaus/new/", views.sub_bureau_new, name="sub_bureau_new"),
    path("sub-bureaus/<int:pk>/", views.sub_bureau, name="sub_bureau"),
    path("sub-bureaus/<int:pk>/edit/", views.sub_bureau_edit, name="sub_bureau_edit"),
    path("sub-bureaus/<int:pk>/close/", views.sub_bureau_close, name="sub_bureau_close"),
    path("people/new/", views.user_new, name="user_new"),
    path("people/<str:username>/active/", views.user_active, name="user_active"),
    path("account/", views.account, name="account"),
]
