"""`manage.py mail_ingest [FILE]`: one e-mail (RFC 822), read from FILE or standard input, stored and filed.

What a mail server's pipe calls — with Postfix, a transport in master.cf such as
`steward unix - n n - - pipe user=steward argv=/srv/steward/.venv/bin/python /srv/steward/manage.py mail_ingest`
— or a script emptying a maildir. The exit code follows sysexits.h, which mail servers understand:

  0   stored (and filed; or, if filing failed, kept for the sweep): the mail server may forget it;
  65  EX_DATAERR: the input is empty, there is nothing to store;
  66  EX_NOINPUT: FILE cannot be read;
  75  EX_TEMPFAIL: the database or the storage is unreachable; nothing was kept and the mail server
      tries again later.

On success one line is printed: the case reference (or "-") and the outcome, "(duplicate)" for a
message already received.
"""

import sys
from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from correspondence.models import InboundEmail
from correspondence.services.inbound import mail_receive

EX_DATAERR = 65
EX_NOINPUT = 66
EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Store and file one e-mail read from FILE or standard input (for a mail server's pipe)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", nargs="?", default="-", help="The message file; '-' or nothing for stdin.")

    def handle(self, *args: object, **options: object) -> None:
        path = str(options["file"])
        try:
            if path == "-":
                raw = sys.stdin.buffer.read()
            else:
                with open(path, "rb") as message_file:
                    raw = message_file.read()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error}", returncode=EX_NOINPUT) from error
        if not raw.strip():
            raise CommandError("The message is empty: nothing to store.", returncode=EX_DATAERR)
        try:
            inbound = mail_receive(raw, door=InboundEmail.Door.PIPE)
        except Exception as error:
            # Not stored: a temporary failure, so the mail server keeps the message and retries.
            raise CommandError(
                f"Could not store the message ({type(error).__name__}: {' '.join(str(error).split())}); "
                "try again later.",
                returncode=EX_TEMPFAIL,
            ) from error
        reference = inbound.case.reference if inbound.case_id else "-"
        duplicate = " (duplicate)" if inbound.duplicate else ""
        self.stdout.write(f"{reference} {inbound.outcome}{duplicate}")
