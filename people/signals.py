"""Invariant 4 at the model level: a plain User.save() cannot deactivate an owner of open cases
(the admin, a shell or a script would otherwise step around cases.services.staff_deactivate)."""

from django.contrib.auth.models import User
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.utils.translation import gettext as _

from portal.errors import RuleViolation


@receiver(pre_save, sender=User)
def refuse_deactivating_an_owner(sender: type[User], instance: User, **kwargs: object) -> None:
    if instance.pk is None or instance.is_active:
        return
    from cases.models import Case

    if Case.objects.filter(owner_id=instance.pk).exclude(status=Case.Status.CLOSED).exists():
        raise RuleViolation(
            _("%(name)s still owns open cases. Hand them off first.")
            % {"name": instance.get_full_name() or instance.get_username()},
            field="is_active",
            code="owns_open_cases",
        )
