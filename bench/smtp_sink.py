"""A real SMTP server on loopback for the production smoke run (bin/smoke): accepts every message
and appends its Message-ID to a file, one line per message received, so that the run can check
that each e-mail of the outbox arrived exactly once.

    .venv/bin/python bench/smtp_sink.py --port 2525 --log var/smoke/received.txt

Runs until it is stopped (SIGTERM or SIGINT).
"""

import argparse
import logging
import signal
import threading
from email.parser import BytesHeaderParser
from pathlib import Path

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, log: Path) -> None:
        self.log = log
        self.lock = threading.Lock()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        content = envelope.original_content or envelope.content  # type: ignore[attr-defined]
        headers = BytesHeaderParser().parsebytes(content if isinstance(content, bytes) else content.encode())
        message_id = (headers.get("Message-ID") or "(none)").strip()
        with self.lock, self.log.open("a", encoding="utf-8") as out:
            out.write(f"{message_id}\n")
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", type=Path, required=True, help="file each received Message-ID is appended to")
    args = parser.parse_args()
    args.log.parent.mkdir(parents=True, exist_ok=True)
    args.log.touch()
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command
    controller = Controller(Sink(args.log), hostname="127.0.0.1", port=args.port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"SMTP sink listening on 127.0.0.1:{args.port}, logging to {args.log}", flush=True)
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
