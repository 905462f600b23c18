"""What the pages' row builders (flag_rows, worklist_rows) share: a translated sentence filled as
`{% blocktranslate %}` fills it, and a person's name as the templates write it."""

from django.contrib.auth.models import User
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from cases.services.timeline import person_name


def name_of(user: User | None) -> str:
    """`user.get_full_name|default:user.username`, and nothing for no one."""
    return "" if user is None else person_name(user)


def filled(sentence: str, **values: str) -> SafeString:
    """A translated sentence with its values escaped, as `{% blocktranslate %}` writes it."""
    return mark_safe(sentence % {name: conditional_escape(value) for name, value in values.items()})  # noqa: S308
