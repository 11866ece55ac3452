from django.urls import path

from . import views

app_name = "messaging"
urlpatterns = [
    path("messages/", views.inbox, name="inbox"),
    path("messages/sent/", views.sent, name="sent"),
    path("messages/new/", views.compose, name="compose"),
    path("messages/alerts/", views.alerts, name="alerts"),
    path("messages/<uuid:message_id>/", views.thread, name="thread"),
    path("messages/<uuid:message_id>/forward/", views.forward, name="forward"),
    path("messages/<uuid:message_id>/attachments/<uuid:attachment_id>/", views.download, name="attachment"),
]
