from django.urls import path

from . import views

app_name = "service_tiers"

urlpatterns = [
    path("my-day/", views.my_day, name="my_day"),
    path("alerts/", views.alert_list, name="alert_list"),
    path("alerts/<int:pk>/read/", views.alert_read, name="alert_read"),
    path("alerts/read-all/", views.alert_read_all, name="alert_read_all"),
    path("service/compliance/", views.compliance, name="compliance"),
]
