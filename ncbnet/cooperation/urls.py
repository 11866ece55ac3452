from .views import cases, help, operations, requests, statistics, tasks

app_name = "cooperation"
urlpatterns = [
    *requests.urlpatterns,
    *tasks.urlpatterns,
    *help.urlpatterns,
    *cases.urlpatterns,
    *operations.urlpatterns,
    *statistics.urlpatterns,
]
