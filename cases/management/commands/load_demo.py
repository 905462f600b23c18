"""`manage.py load_demo [--volume N]`: the acceptance stories of DESIGN.md section 7 with dates
relative to now, replayed through the services, and optionally N more customers for benchmarks.

Loading is idempotent: a database that already has the demo is left as it is.
"""

from argparse import ArgumentParser

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cases.demo.cast import demo_clashes
from cases.demo.logins import login_table
from cases.demo.stories import Stories, demo_is_loaded, load_stories
from cases.demo.volume import BATCH_SIZE, VolumeReport, add_volume

# Enough customers for a month of figures in every report table, loaded in a few seconds.
HISTORY_VOLUME = 500


class Command(BaseCommand):
    help = "Load the demo stories (once) and optionally --volume N extra customers with cases."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--volume",
            type=int,
            default=0,
            metavar="N",
            help="Also add N realistic customers with cases across all departments (bulk inserts).",
        )
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="Customers per bulk batch.")
        parser.add_argument("--seed", type=int, default=None, help="Random seed for --volume, for repeatable data.")
        parser.add_argument(
            "--with-history",
            action="store_true",
            help=f"When the stories are loaded now (not on a later run), also add {HISTORY_VOLUME} customers with "
            "a month of back-dated history, so the reports have figures to show.",
        )
        parser.add_argument(
            "--allow-without-debug",
            action="store_true",
            help="Load even when DEBUG is off. The demo logins share a published password.",
        )

    def handle(self, *args: object, **options: object) -> None:
        volume, batch_size = int(options["volume"]), int(options["batch_size"])
        if volume < 0 or batch_size < 1:
            raise CommandError("--volume must be 0 or more and --batch-size at least 1.")
        if not settings.DEBUG and not options["allow_without_debug"]:
            raise CommandError(
                "DEBUG is off: this looks like a production database. The demo creates an administrator and other "
                "logins with a published password; pass --allow-without-debug if this database is a throwaway."
            )
        seed = options["seed"]
        if demo_is_loaded():
            self.stdout.write("The demo stories are already loaded; nothing changed.")
        else:
            self._load_stories()
            if options["with_history"] and not volume:
                # Once, with the stories: a second start must not add another month on top.
                volume, seed = HISTORY_VOLUME, 1 if seed is None else seed
        if volume:
            self._add_volume(volume, batch_size, seed)  # type: ignore[arg-type]
        self.stdout.write("")
        self.stdout.write(login_table())

    def _load_stories(self) -> None:
        clashes = demo_clashes()
        if clashes:
            raise CommandError(
                "The demo would reuse records that already exist, and never takes them over: "
                + ", ".join(clashes)
                + ". Load it into an empty database."
            )
        stories = load_stories()
        self.stdout.write(self.style.SUCCESS("Demo stories loaded:"))
        for line in _story_lines(stories):
            self.stdout.write(f"  {line}")

    def _add_volume(self, volume: int, batch_size: int, seed: int | None) -> None:
        self.stdout.write(f"Adding {volume:,} customers in batches of {batch_size:,}…")

        def progress(report: VolumeReport) -> None:
            self.stdout.write(f"  {report.customers:,} customers, {report.cases:,} cases ({report.seconds:.0f} s)")

        report = add_volume(volume, batch_size=batch_size, seed=seed, progress=progress)
        self.stdout.write(self.style.SUCCESS(f"Volume added in {report.seconds:.1f} s:"))
        for line in report.lines():
            self.stdout.write(f"  {line}")


def _story_lines(stories: Stories) -> list[str]:
    fibre = stories.fibre
    return [
        f"{fibre.case.reference} fibre installation: {fibre.job.cancellation_count} cancelled visits, a drilled "
        f"heating pipe, “back Monday” overdue, {len(fibre.unanswered)} unanswered e-mails, "
        f"{len(fibre.claims)} insurance claims, handed to {fibre.handoff.to_user.get_full_name()}",
        f"“{stories.mail_alert.title}”: shown on {stories.mail_alert.cases.count()} linked cases and every case of "
        "the area's e-mail customers",
        f"{stories.unconfirmed.reference} “fixed in the November version”: resolved and reminded; closing it without "
        f"the customer was refused — {stories.refused_close}",
        f"{stories.warm_transfer.reference} warm transfer from support to field operations, callback kept on time",
        f"{stories.survey_case.reference} survey asks for a talk about services → {stories.sales_referral.reference} "
        "handed to sales",
    ]
