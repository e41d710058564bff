from django.urls import path

from . import views

app_name = "account_plans"

urlpatterns = [
    path("", views.summary, name="summary"),
    path("account/<int:pk>/start/", views.plan_create, name="plan_create"),
    path("<int:plan_id>/objectives/", views.objective_add, name="objective_add"),
    path("<int:plan_id>/actions/", views.action_add, name="action_add"),
    path("actions/<int:action_id>/status/", views.action_status, name="action_status"),
    path("<int:plan_id>/reviews/", views.review_record, name="review_record"),
]
