from django.urls import path

from . import views

app_name = "scoring"

urlpatterns = [
    path("accounts/<int:pk>/rating/", views.rating, name="rating"),
    path("accounts/<int:pk>/override/", views.override, name="override"),
]
