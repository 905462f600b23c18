"""The README's "Deploying" tables name every environment variable the settings and
gunicorn.conf.py read: a variable added without its line there fails here."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _names(path: str, pattern: str) -> set[str]:
    return set(re.findall(pattern, (ROOT / path).read_text()))


def test_every_variable_the_settings_read_is_in_the_readme() -> None:
    read = _names("portal/settings.py", r'env_(?:str|int|bool|list)\(\s*"([A-Z0-9_]+)"')
    read |= _names("gunicorn.conf.py", r'(?:environ(?:\.get)?\(|environ\[|_int\()\s*"([A-Z0-9_]+)"')
    read |= _names("gunicorn.conf.py", r"_int\('([A-Z0-9_]+)'")
    assert {"DATABASE_URL", "STORAGE_BUCKET", "DATABASE_POOL", "WEB_CONCURRENCY", "PORT"} <= read
    readme = (ROOT / "README.md").read_text()
    deploying = readme[readme.index("## Deploying") :]
    assert sorted(name for name in read if f"`{name}`" not in deploying) == []
