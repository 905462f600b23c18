"""Server-side request forgery: webhooks go to public internet addresses only, checked when the
endpoint is saved and again before each delivery."""

import pytest

from webhooks import addresses
from webhooks.addresses import RefusedAddress, check_url
from webhooks.models import Delivery, Endpoint

REFUSED = [
    "http://127.0.0.1/hook",
    "http://127.1/hook",
    "http://10.1.2.3/hook",
    "http://172.16.0.5/hook",
    "http://192.168.1.1/hook",
    "http://100.64.0.1/hook",  # carrier-grade NAT
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",
    "http://240.0.0.1/hook",
    "http://[::1]/hook",
    "http://[::]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:169.254.169.254]/hook",
    "http://[fe80::1]/hook",
    "http://[fc00::1]/hook",
    "http://[ff02::1]/hook",
    "http://[2002:7f00:1::]/hook",  # 6to4 wrapping 127.0.0.1
    "http://localhost:8000/hook",  # a name resolving to loopback
]


@pytest.mark.parametrize("url", REFUSED)
def test_private_loopback_link_local_and_reserved_addresses_are_refused(url, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(RefusedAddress, match="private or reserved"):
        check_url(url)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://93.184.216.34/x", "gopher://93.184.216.34/", "//x"])
def test_other_schemes_are_refused(url):
    with pytest.raises(RefusedAddress, match="Only http and https"):
        check_url(url)


def test_credentials_in_the_address_are_refused():
    with pytest.raises(RefusedAddress, match="no user name"):
        check_url("https://user:pass@93.184.216.34/hook")


def test_a_name_with_one_private_address_among_public_ones_is_refused(monkeypatch, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    monkeypatch.setattr(
        addresses,
        "_resolve",
        lambda host, port: [
            addresses.ipaddress.ip_address("93.184.216.34"),
            addresses.ipaddress.ip_address("10.0.0.7"),
        ],
    )
    with pytest.raises(RefusedAddress, match=r"10\.0\.0\.7"):
        check_url("https://hooks.example.com/")


def test_a_public_address_is_taken_and_the_connection_goes_to_the_checked_address(monkeypatch, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    monkeypatch.setattr(addresses, "_resolve", lambda host, port: [addresses.ipaddress.ip_address("93.184.216.34")])

    target = check_url("https://Hooks.Example.com:8443/in?x=1")

    assert (target.scheme, target.host, target.port, target.path, target.address) == (
        "https",
        "hooks.example.com",
        8443,
        "/in?x=1",
        "93.184.216.34",
    )


def test_a_name_that_does_not_resolve_is_refused():
    with pytest.raises(RefusedAddress, match="could not be found"):
        check_url("https://no-such-host.invalid/hook")


@pytest.mark.django_db
def test_an_address_that_became_private_is_refused_at_delivery_time(cast, endpoint, receiver, settings):
    """Saved while allowed (as a name could resolve to a public address then): the delivery checks again."""
    from cases.services import message_receive
    from webhooks.tasks import deliver_due

    message_receive(actor=cast.customer.user, case=cast.case, body="Hello")
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False

    assert deliver_due()["retrying"] == 1

    assert receiver.requests == []
    delivery = Delivery.objects.get()
    assert "private or reserved" in delivery.error
    assert delivery.response_status is None


@pytest.mark.django_db
def test_the_admin_form_refuses_a_private_address(administrator, client, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    client.force_login(administrator)

    page = client.post(
        "/admin/webhooks/endpoint/add/",
        {"url": "http://169.254.169.254/latest/", "event_kinds": ["case.opened"], "active": "on"},
    )

    assert page.status_code == 200
    assert "private or reserved" in page.content.decode()
    assert not Endpoint.objects.exists()
