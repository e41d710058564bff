from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.account_list, name="list"),
    path("export.<slug:export_format>", views.account_list_export, name="list_export"),
    path("new/", views.account_create, name="create"),
    path("<int:pk>/", views.account_detail, name="detail"),
    path("<int:pk>/edit/", views.account_edit, name="edit"),
    path("<int:pk>/orders/", views.account_orders, name="orders"),
    path("<int:pk>/group/", views.account_group, name="group"),
    path("<int:pk>/contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/personal-data/", views.contact_personal_data, name="contact_personal_data"),
    path("contacts/<int:pk>/active/", views.contact_set_active, name="contact_set_active"),
    path("<int:pk>/surveys/new/", views.survey_create, name="survey_create"),
    path("complaints/<int:pk>/handler/", views.complaint_assign, name="complaint_assign"),
    path("<int:pk>/history/", views.account_history, name="history"),
    path("<int:pk>/interactions/new/", views.interaction_create, name="interaction_create"),
    path("<int:pk>/complaints/new/", views.complaint_create, name="complaint_create"),
    path("complaints/<int:pk>/transition/", views.complaint_transition, name="complaint_transition"),
]
