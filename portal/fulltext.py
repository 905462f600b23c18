"""The search indexes Django's models cannot declare, on either database, and the words a
search term is looked up by.

Words (names, e-mail addresses, subjects) are found by the start of each word, whatever their
accents and case ("gerard dup" finds "Gérard Dupont"):

- SQLite (the embedded default): an FTS5 table per searched table, with the `unicode61
  remove_diacritics 2` tokenizer, holding no copy of the text (`content=` the table itself) and
  kept in step by triggers;
- PostgreSQL: a GIN index on `steward_search_words(text)`, an IMMUTABLE wrapper of `unaccent`
  (which is only STABLE, so it could not be indexed by itself) that lowers, unaccents and
  splits e-mail addresses into words, then makes a `simple` tsvector (no stemming: names).

Case references and claim numbers are found by their start, in any case: an index on the
column COLLATE NOCASE on SQLite (its LIKE ignores case), on UPPER(column) with
text_pattern_ops on PostgreSQL (its LIKE uses only a pattern index outside the C locale).

Migrations create these (`install`); on SQLite a table that a later migration rebuilds (Django
remakes the table for many changes) loses its triggers and indexes, so after every `migrate`
`reinstall_lost` puts back what is missing and refills an FTS table that missed writes.
"""

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Func
from django.db.models.expressions import Combinable

SQLITE_TOKENIZER = "unicode61 remove_diacritics 2"
POSTGRES_WORDS_FUNCTION = "steward_search_words"


@dataclass(frozen=True)
class WordIndex:
    """The words of `columns` of `table`, searchable by prefix (named `name` in the database)."""

    table: str
    columns: tuple[str, ...]
    name: str

    def sqlite_statements(self) -> list[str]:
        columns = ", ".join(self.columns)
        new = ", ".join(f"new.{c}" for c in self.columns)
        old = ", ".join(f"old.{c}" for c in self.columns)
        delete = f"INSERT INTO {self.name}({self.name}, rowid, {columns}) VALUES ('delete', old.id, {old});"  # noqa: S608
        insert = f"INSERT INTO {self.name}(rowid, {columns}) VALUES (new.id, {new});"  # noqa: S608
        return [
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {self.name} USING fts5({columns}, content='{self.table}', "
            f"content_rowid='id', tokenize='{SQLITE_TOKENIZER}')",
            f"CREATE TRIGGER IF NOT EXISTS {self.name}_ai AFTER INSERT ON {self.table} BEGIN {insert} END",
            f"CREATE TRIGGER IF NOT EXISTS {self.name}_ad AFTER DELETE ON {self.table} BEGIN {delete} END",
            f"CREATE TRIGGER IF NOT EXISTS {self.name}_au AFTER UPDATE OF {columns} ON {self.table} "
            f"BEGIN {delete} {insert} END",
        ]

    def sqlite_triggers(self) -> set[str]:
        return {f"{self.name}_ai", f"{self.name}_ad", f"{self.name}_au"}

    def postgres_text(self) -> str:
        """The indexed expression: the columns joined by a space (they are NOT NULL)."""
        return " || ' ' || ".join(self.columns)

    def postgres_statements(self) -> list[str]:
        return [
            f"CREATE INDEX IF NOT EXISTS {self.name} ON {self.table} "
            f"USING gin ({POSTGRES_WORDS_FUNCTION}({self.postgres_text()}))"
        ]

    def drop_statements(self, vendor: str) -> list[str]:
        if vendor == "sqlite":
            return [f"DROP TRIGGER IF EXISTS {t}" for t in sorted(self.sqlite_triggers())] + [
                f"DROP TABLE IF EXISTS {self.name}"
            ]
        return [f"DROP INDEX IF EXISTS {self.name}"]


@dataclass(frozen=True)
class PrefixIndex:
    """`column` of `table`, searchable by its start in any case.

    Every name here is a constant of this module, never a user's text (hence the noqa S608s)."""

    table: str
    column: str
    name: str

    def statement(self, vendor: str) -> str:
        if vendor == "sqlite":
            return f"CREATE INDEX IF NOT EXISTS {self.name} ON {self.table} ({self.column} COLLATE NOCASE)"
        return f"CREATE INDEX IF NOT EXISTS {self.name} ON {self.table} (UPPER({self.column}::text) text_pattern_ops)"


CUSTOMER_WORDS = WordIndex("people_customer", ("full_name", "email"), "people_customer_words")
CASE_WORDS = WordIndex("cases_case", ("subject",), "cases_case_words")
CASE_REFERENCE_PREFIX = PrefixIndex("cases_case", "reference", "cases_case_reference_prefix")
CLAIM_NUMBER_PREFIX = PrefixIndex("cases_insuranceclaim", "claim_number", "cases_claim_number_prefix")
WORD_INDEXES = (CUSTOMER_WORDS, CASE_WORDS)
PREFIX_INDEXES = (CASE_REFERENCE_PREFIX, CLAIM_NUMBER_PREFIX)

POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {POSTGRES_WORDS_FUNCTION}(text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT to_tsvector('simple'::regconfig,
    regexp_replace(lower(public.unaccent('public.unaccent'::regdictionary, $1)), '[^[:alnum:]]+', ' ', 'g'))
$$
"""


def _execute(connection: BaseDatabaseWrapper, statements: Sequence[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def install(connection: BaseDatabaseWrapper, *indexes: WordIndex | PrefixIndex) -> None:
    """Create these indexes (a migration's forward step); other databases get none."""
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        return
    if vendor == "postgresql" and any(isinstance(index, WordIndex) for index in indexes):
        # unaccent is a trusted extension (PostgreSQL 13+): the database's owner may create it.
        _execute(connection, ["CREATE EXTENSION IF NOT EXISTS unaccent", POSTGRES_FUNCTION])
    for index in indexes:
        if isinstance(index, PrefixIndex):
            _execute(connection, [index.statement(vendor)])
        elif vendor == "sqlite":
            rebuild = f"INSERT INTO {index.name}({index.name}) VALUES ('rebuild')"  # noqa: S608 — fill it from the table
            _execute(connection, [*index.sqlite_statements(), rebuild])
        else:
            _execute(connection, index.postgres_statements())


def uninstall(connection: BaseDatabaseWrapper, *indexes: WordIndex | PrefixIndex) -> None:
    """A migration's backward step (the function and extension stay: harmless, maybe shared)."""
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        return
    for index in indexes:
        if isinstance(index, PrefixIndex):
            _execute(connection, [f"DROP INDEX IF EXISTS {index.name}"])
        else:
            _execute(connection, index.drop_statements(vendor))


def reinstall_lost(connection: BaseDatabaseWrapper) -> list[str]:
    """On SQLite, after a migrate: the triggers and indexes of the installed search indexes that
    a table rebuild dropped, put back (an FTS table that missed writes is refilled). Returns
    the names put back; an index whose migration has not run yet is left alone."""
    if connection.vendor != "sqlite":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT type, name FROM sqlite_master WHERE type IN ('table', 'trigger', 'index')")
        present = {(kind, name) for kind, name in cursor.fetchall()}
    restored: list[str] = []
    for words in WORD_INDEXES:
        if ("table", words.name) not in present:
            continue
        if not all(("trigger", t) in present for t in words.sqlite_triggers()):
            install(connection, words)
            restored.append(words.name)
    for prefix in PREFIX_INDEXES:
        # Only where its migration ran: the FTS table of the same app marks it (cases_case_words).
        if ("table", CASE_WORDS.name) in present and ("index", prefix.name) not in present:
            install(connection, prefix)
            restored.append(prefix.name)
    return restored


def on_post_migrate(**kwargs: Any) -> None:
    from django.db import connections

    reinstall_lost(connections[kwargs.get("using") or "default"])


# --- the words a search term stands for ----------------------------------------------------------

_WORD = re.compile(r"[^\W_]+")


def search_words(term: str) -> list[str]:
    """The words of a typed term, lowered and without accents, as both indexes hold them."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", term) if not unicodedata.combining(c))
    return _WORD.findall(plain.casefold())


def sqlite_match(words: Sequence[str]) -> str:
    """An FTS5 query: every word, each as the start of a word (the words are letters and digits
    only, so quoting them is safe)."""
    return " ".join(f'"{word}"*' for word in words)


def postgres_match(words: Sequence[str]) -> str:
    """A to_tsquery text: every word, each as the start of a word."""
    return " & ".join(f"{word}:*" for word in words)


class SearchWords(Func):
    """PostgreSQL: the indexed words of a WordIndex, as its GIN index computes them."""

    function = POSTGRES_WORDS_FUNCTION
    arg_joiner = " || ' ' || "

    def __init__(self, index: WordIndex, **extra: Any) -> None:
        from django.contrib.postgres.search import SearchVectorField

        expressions: list[Combinable | str] = list(index.columns)
        super().__init__(*expressions, output_field=SearchVectorField(), **extra)
