"""Set up an integration account (a mail gateway, a phone system, a contractor's software)
and print its API token: `manage.py api_integration mail-gateway --inbound`."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission, User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from rest_framework.authtoken.models import Token

from cases.services.inbound import INBOUND_PERMISSION


class Command(BaseCommand):
    help = "Create (or find) an integration account and print its API token."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="The account's name, e.g. mail-gateway.")
        parser.add_argument(
            "--inbound", action="store_true", help="Allow it to deliver customer messages (cases.deliver_inbound)."
        )
        parser.add_argument("--rotate", action="store_true", help="Replace the account's token with a new one.")

    @transaction.atomic
    def handle(self, *args: Any, username: str, inbound: bool, rotate: bool, **options: Any) -> None:
        user, created = User.objects.get_or_create(username=username)
        if created:
            # An integration signs in with its token only.
            user.set_unusable_password()
            user.save(update_fields=["password"])
        elif not user.is_active:
            raise CommandError(f"{username} is deactivated; reactivate it on the admin site first.")
        if inbound:
            app_label, codename = INBOUND_PERMISSION.split(".")
            user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        if rotate:
            Token.objects.filter(user=user).delete()
        token, _new = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
