"""allauth's pages under /accounts/, its headless API under /_allauth/, and a landing page."""

from django.http import HttpResponse
from django.urls import include, path


def signed_in(request):
    """Where a page sign-in lands (the bench does not follow the redirect)."""
    return HttpResponse("signed in" if request.user.is_authenticated else "anonymous")


urlpatterns = [
    path("accounts/", include("allauth.urls")),
    path("_allauth/", include("allauth.headless.urls")),
    path("signed-in/", signed_in),
]
