"""The request of a signed-in person, as the views see it."""

from __future__ import annotations

from django.http import HttpRequest

from .models import User


class AuthedRequest(HttpRequest):
    """A request that passed a non-public policy: its user is a signed-in account."""

    user: User
