from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class UsersView(APIView):
    required_scopes = ["users:read"]  # read by HasKeyScopes

    def get(self, request: Request) -> Response:
        return Response({"caller": request.user.key_id, "scopes": list(request.auth.scopes)})


urlpatterns = [path("users", UsersView.as_view())]
