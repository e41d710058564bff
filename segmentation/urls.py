from django.urls import path

from . import views

app_name = "segmentation"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("accounts/", views.drilldown, name="accounts"),
    path("export/<slug:table>.<slug:export_format>", views.export, name="export"),
    path("targets/", views.targets, name="targets"),
    path("account/<int:pk>/needs/", views.account_needs, name="account_needs"),
    path("segments/", views.saved_segments, name="saved_segments"),
    path("cross/", views.cross, name="cross"),
    path("cross-sell/", views.cross_sell, name="cross_sell"),
    path("grade-movers/", views.grade_movers, name="grade_movers"),
    path("segments/<int:pk>/", views.saved_segment_open, name="saved_segment_open"),
    path("segments/<int:pk>/delete/", views.saved_segment_delete, name="saved_segment_delete"),
]
