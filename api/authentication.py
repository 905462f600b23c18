"""Token authentication that also answers in the person's language and time zone.

Session requests are already signed in when portal.middleware.PreferenceMiddleware runs; a token
is only read by DRF inside the view, so the preference is followed here once the token names the
user. A token user who never saved a preference (an integration) keeps the Accept-Language answer.
"""

from django.contrib.auth.models import User
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token
from rest_framework.request import Request

from portal.middleware import follow_preference


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate(self, request: Request) -> tuple[User, Token] | None:
        result = super().authenticate(request)
        if result is not None:
            follow_preference(request._request, result[0])
        return result

    def authenticate_credentials(self, key: str) -> tuple[User, Token]:
        """As DRF does, with the preference read in the same query as the token and its user."""
        model = self.get_model()
        try:
            token = model.objects.select_related("user", "user__preference").get(key=key)
        except model.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token
