"""Sign-in with a username or an e-mail address (customers know their e-mail, not a username)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest


class EmailOrUsernameBackend(ModelBackend):
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: object
    ) -> AbstractBaseUser | None:
        if username is None or password is None:
            return None
        user_model = get_user_model()
        user = user_model._default_manager.filter(username=username).first()
        if user is None and "@" in username:
            matches = list(user_model._default_manager.filter(email__iexact=username.strip())[:2])
            # An address shared by two accounts identifies neither.
            user = matches[0] if len(matches) == 1 else None
        if user is None:
            user_model().set_password(password)  # same work as a real check, so timing reveals nothing
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
