"""One HTTP POST to a checked address (webhooks.addresses), with the standard library.

The connection goes to the IP address that was checked, while the Host header, TLS's server name
(SNI) and the certificate check use the name: the request reaches the server the URL names, and
no second look-up can swap the address. http.client never follows a redirect; a 3xx answer is a
failed delivery like any other non-2xx answer.
"""

import http.client
import socket
import ssl
from dataclasses import dataclass

from webhooks.addresses import Target

TIMEOUT_SECONDS = 10
RESPONSE_KEPT = 1000  # characters of the answer kept on the delivery, for the administrator


@dataclass(frozen=True)
class Answer:
    status: int
    body: str


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.address, target.port, timeout=timeout, context=ssl.create_default_context())
        self._server_name = target.host

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self._server_name)


def _host_header(target: Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"


def post(target: Target, *, body: bytes, headers: dict[str, str], timeout: float = TIMEOUT_SECONDS) -> Answer:
    """Raises OSError (refused, timed out, TLS) or http.client.HTTPException on a broken answer."""
    if target.scheme == "https":
        connection: http.client.HTTPConnection = _CheckedHTTPSConnection(target, timeout)
    else:
        connection = http.client.HTTPConnection(target.address, target.port, timeout=timeout)
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": _host_header(target), "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        text = response.read(RESPONSE_KEPT * 4).decode("utf-8", errors="replace")[:RESPONSE_KEPT]
        return Answer(status=response.status, body=text)
    finally:
        connection.close()
