from django.urls import include, path

from ncbnet import api

urlpatterns = [
    # First: the public API's paths are resolved most often (and clash with none of the others).
    path("", include("ncbnet.public.urls")),
    # Then the API, which machines call the most (border systems' lookups): before the pages'
    # patterns, each of which a request to the API would otherwise be tried against first.
    path("api/v1/", api.urls()),
    path("", include("ncbnet.web.urls")),
    path("", include("ncbnet.core.urls")),  # before security: "people/new/" is not a person
    path("", include("ncbnet.security.urls")),
    path("", include("ncbnet.audit.urls")),
    path("", include("ncbnet.network.urls")),
    path("", include("ncbnet.messaging.urls")),
    path("", include("ncbnet.records.urls")),
    path("", include("ncbnet.notices.urls")),
    path("", include("ncbnet.screening.urls")),
    path("", include("ncbnet.hits.urls")),
    path("", include("ncbnet.cooperation.urls")),
    path("", include("ncbnet.commission.urls")),
    path("", include("ncbnet.analytics.urls")),
    path("", include("ncbnet.conference.urls")),
    path("", include("ncbnet.training.urls")),
]
