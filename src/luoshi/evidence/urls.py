from django.urls import path

from luoshi.evidence import views

app_name = "evidence"

urlpatterns = [
    path("<int:pk>/download/", views.download, name="download"),
]
