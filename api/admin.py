"""API tokens are issued with `manage.py api_integration`, not on the admin site.

DRF's token admin opens tokens by their user's id instead of their own key, which the
project's admin pages (and their role matrix) cannot treat as any other record; a token
is also a password, better printed once to whoever sets up the integration.
"""

from django.contrib import admin
from rest_framework.authtoken.models import TokenProxy

if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)
