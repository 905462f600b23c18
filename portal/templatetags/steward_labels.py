"""`label`: a record's choice shown in the reader's language, like `get_FOO_display`, at the cost
of one dictionary read.

`get_FOO_display` builds a dictionary of every choice on each call, hashing each lazily
translated label (a translation lookup apiece): with the timeline's 40 event kinds, that was a
quarter of the case page's time for 100 events (issue 14). The labels of a field are read once
per language here instead.
"""

from functools import lru_cache
from typing import Any

from django import template
from django.db import models
from django.utils.translation import get_language

register = template.Library()


@lru_cache(maxsize=256)
def _labels(model: type[models.Model], field_name: str, language: str | None) -> dict[Any, str]:
    return {value: str(label) for value, label in model._meta.get_field(field_name).flatchoices}


def labels_of(model: type[models.Model], field_name: str) -> dict[Any, str]:
    """Every label of the field's choices in the active language, for a caller that shows many."""
    return _labels(model, field_name, get_language())


@register.filter
def label(record: models.Model, field_name: str) -> str:
    value = getattr(record, field_name)
    return _labels(type(record), field_name, get_language()).get(value, value)
