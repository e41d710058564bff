from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.account_list, name="list"),
    path("export.<slug:export_format>", views.account_list_export, name="list_export"),
    path("<int:pk>/", views.account_detail, name="detail"),
    path("<int:pk>/history/", views.account_history, name="history"),
    path("<int:pk>/interactions/new/", views.interaction_create, name="interaction_create"),
    path("<int:pk>/complaints/new/", views.complaint_create, name="complaint_create"),
    path("complaints/<int:pk>/transition/", views.complaint_transition, name="complaint_transition"),
]
