"""Starting Django for a benchmark: on DATABASE_URL if set, else on a fresh SQLite file under var/bench/."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(sqlite_name: str, *, keep: bool = False) -> None:
    """`keep`: reuse the SQLite file a previous run built (its data is rebuilt otherwise)."""
    if not os.environ.get("DATABASE_URL"):
        path = ROOT / "var" / "bench" / f"{sqlite_name}.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        for leftover in path.parent.glob(f"{path.name}*"):
            if not keep:
                leftover.unlink()
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
