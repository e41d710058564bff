from django.urls import path

from . import views

app_name = "segmentation"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("accounts/", views.drilldown, name="accounts"),
    path("export/<slug:table>.<slug:export_format>", views.export, name="export"),
    path("targets/", views.targets, name="targets"),
]
