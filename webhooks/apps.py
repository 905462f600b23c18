from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        # Any write to an endpoint (admin, shell, the delivery task turning one off) must reach the
        # cached list of wanted event kinds, whichever code path made it.
        from django.db.models.signals import post_delete, post_save

        from webhooks.models import Endpoint
        from webhooks.services.outbox import forget_wanted_kinds

        post_save.connect(forget_wanted_kinds, sender=Endpoint, dispatch_uid="webhooks-endpoint-saved")
        post_delete.connect(forget_wanted_kinds, sender=Endpoint, dispatch_uid="webhooks-endpoint-deleted")
