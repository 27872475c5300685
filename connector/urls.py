from django.http import HttpResponse
from django.urls import path

app_name = "connector"


def connector_list(request):
    return HttpResponse("connectors")


urlpatterns = [path("", connector_list, name="list")]
