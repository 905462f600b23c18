"""Sign-in with a username or an e-mail address (customers know their e-mail, not a username)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest


def account_for(typed: str) -> AbstractBaseUser | None:
    """The one account what was typed in the sign-in box names, or None: the username exactly,
    else the e-mail address ignoring case and surrounding spaces. The lockout counts failures
    against the same answer, so every spelling that reaches an account counts for it."""
    user_model = get_user_model()
    user = user_model._default_manager.filter(username=typed).first()
    if user is None and "@" in typed:
        matches = list(user_model._default_manager.filter(email__iexact=typed.strip())[:2])
        # An address shared by two accounts identifies neither.
        user = matches[0] if len(matches) == 1 else None
    return user


class EmailOrUsernameBackend(ModelBackend):
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: object
    ) -> AbstractBaseUser | None:
        if username is None or password is None:
            return None
        user = account_for(username)
        if user is None:
            get_user_model()().set_password(password)  # same work as a real check, so timing reveals nothing
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
