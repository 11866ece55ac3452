from django.urls import path

from . import views

app_name = "public"
urlpatterns = [path("public/", views.home, name="home")]
