"""InboundDelivery moved from the api app to cases (cases 0011, api 0004, cases 0012): on a database
that already holds deliveries and grants of deliver_inbound, the rows and the grants survive."""

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from cases.models import InboundDelivery, Message
from tests.factories import CustomerFactory, UserFactory, make_case, make_staff

BEFORE = [("cases", "0010_early_visit_flag"), ("api", "0003_translatable_labels")]
AFTER = [("cases", "0012_inbound_delivery_table"), ("api", "0004_inbound_delivery_to_cases")]


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    # Content types are cached by id and by model; the migration rewrote the row under the cache.
    ContentType.objects.clear_cache()
    return executor


def _tables() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


@pytest.fixture
def at_latest() -> Iterator[None]:
    """Whatever the test does to the schema, the next tests get the latest one back."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()


@pytest.mark.django_db(transaction=True)
def test_deliveries_and_permission_grants_survive_the_move(at_latest: None) -> None:
    """Also: new code answering before the migration ran may have created an empty cases content
    type for the model; the migration drops it rather than failing on the (app, model) unique key.
    One test for both, because each trip of the schema back to cases 0010 and forward again costs
    about 40 s (Django renders every model state on the way)."""
    # The case and its message are written with today's models, before the schema goes back: later
    # migrations added columns (a case's merge link…) that the old schema does not have.
    owner = make_staff("owner")
    case = make_case(customer=CustomerFactory(), owner=owner)
    message = Message.objects.create(
        case=case,
        direction=Message.Direction.INBOUND,
        channel=Message.Channel.EMAIL,
        author_label="Mrs Martin",
        body="Still no internet.",
        body_html="<p>Still no internet.</p>",
        external_id="email:gw-1",
    )

    executor = _migrate(BEFORE)
    assert "api_inbounddelivery" in _tables()
    assert "cases_inbounddelivery" not in _tables()

    gateway = UserFactory(username="mail-gateway")
    phone_system = UserFactory(username="phone-system")
    old_permission = Permission.objects.get(content_type__app_label="api", codename="deliver_inbound")
    gateway.user_permissions.add(old_permission)
    integrations = Group.objects.create(name="Integrations")
    integrations.permissions.add(old_permission)
    phone_system.groups.add(integrations)
    # The old database as it was: the grant is api's.
    assert User.objects.get(pk=gateway.pk).has_perm("api.deliver_inbound")

    OldDelivery = executor.loader.project_state(BEFORE).apps.get_model("api", "InboundDelivery")
    old = OldDelivery.objects.create(
        key="email:gw-1",
        payload_digest="d" * 64,
        channel="email",
        sender_email="martin@example.org",
        subject="No internet",
        route="sender",
        message_id=message.pk,
        delivered_by_id=gateway.pk,
    )
    early = ContentType.objects.create(app_label="cases", model="inbounddelivery")

    _migrate(AFTER)

    assert "cases_inbounddelivery" in _tables()
    assert "api_inbounddelivery" not in _tables()
    delivery = InboundDelivery.objects.get()
    assert (delivery.pk, delivery.key, delivery.route, delivery.message_id, delivery.delivered_by_id) == (
        old.pk,
        "email:gw-1",
        "sender",
        message.pk,
        gateway.pk,
    )
    assert delivery.received_at == old.received_at
    # Only the id: today's model has columns that later migrations add (Message.answered_late).
    assert Message.objects.only("pk").get(pk=message.pk).inbound_delivery == delivery

    # The same permission row, only its content type relabelled: every grant follows.
    permission = Permission.objects.get(codename="deliver_inbound")
    assert permission.pk == old_permission.pk
    assert permission.content_type == ContentType.objects.get_for_model(InboundDelivery)
    # The api content type, relabelled, is the one that stays; the early one is gone.
    assert permission.content_type_id == old_permission.content_type_id != early.pk
    assert not ContentType.objects.filter(pk=early.pk).exists()
    assert not ContentType.objects.filter(app_label="api", model="inbounddelivery").exists()
    assert User.objects.get(pk=gateway.pk).has_perm("cases.deliver_inbound")
    assert User.objects.get(pk=phone_system.pk).has_perm("cases.deliver_inbound")
    assert not User.objects.get(pk=owner.pk).has_perm("cases.deliver_inbound")
    assert not User.objects.get(pk=gateway.pk).has_perm("api.deliver_inbound")
