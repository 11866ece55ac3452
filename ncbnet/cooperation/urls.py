from .views import cases, operations, requests, statistics, tasks

app_name = "cooperation"
urlpatterns = [
    *requests.urlpatterns,
    *tasks.urlpatterns,
    *cases.urlpatterns,
    *operations.urlpatterns,
    *statistics.urlpatterns,
]
