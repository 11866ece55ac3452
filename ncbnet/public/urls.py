from django.urls import path, re_path

from . import notices_api, openapi, views

app_name = "public"

_C = r"(?P<collection>red|yellow|un/persons|un/entities)"
_ID = r"(?P<notice_id>[0-9]{4}-[0-9]{5})"

urlpatterns = [
    path("public/", views.home, name="home"),
    re_path(
        r"^public/notices/(?P<slug>wanted|missing|un-persons|un-entities)/$", views.notices, name="notices"
    ),
    re_path(
        rf"^public/notices/(?P<slug>wanted|missing|un-persons|un-entities)/{_ID}/$",
        views.notice,
        name="notice",
    ),
    # The public notices API, compatible with INTERPOL's (public.notices_api).
    path("notices/v1/openapi.json", openapi.openapi_view, name="notices_openapi"),
    path("notices/v1/withdrawn", notices_api.withdrawn_view, name="notices_withdrawn"),
    re_path(rf"^notices/v1/{_C}$", notices_api.list_view, name="notices_list"),
    re_path(rf"^notices/v1/{_C}/{_ID}$", notices_api.detail_view, name="notices_detail"),
    re_path(rf"^notices/v1/{_C}/{_ID}/images$", notices_api.images_view, name="notices_images"),
    re_path(
        rf"^notices/v1/{_C}/{_ID}/images/(?P<picture_id>[0-9]{{1,12}})$",
        notices_api.image_view,
        name="notices_image",
    ),
]
