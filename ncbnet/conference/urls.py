from django.urls import path

from . import views

app_name = "conference"
urlpatterns = [
    path("conference/", views.overview, name="overview"),
    path("conference/<int:year>/timetable.ics", views.ics, name="ics"),
    path("conference/documents/<uuid:document_id>", views.document, name="document"),
    path("conference/registration/", views.registration, name="registration"),
    path("conference/credentials/", views.credentials, name="credentials"),
    path("conference/items/<uuid:item_id>/", views.item, name="item"),
    path("conference/resolutions/", views.resolutions, name="resolutions"),
    path("conference/polls/<uuid:poll_id>/", views.poll, name="poll"),
    path("conference/actions/", views.actions, name="actions"),
]
