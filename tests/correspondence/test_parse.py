"""Reading a raw e-mail without trusting it: no input makes the reader raise, and what a person wrote
always comes out as text."""

import hashlib

import pytest

from correspondence.inbound.parse import html_to_text, message_key, parse_mail, visible_text


def _raw(headers: str, body: bytes = b"Hello") -> bytes:
    return headers.strip().encode() + b"\n\n" + body


def test_english_quoted_history_is_trimmed() -> None:
    text = "Monday is fine.\n\nJeanne\n\nOn Mon, 2 Mar 2026 at 10:00, Steward <support@x.test> wrote:\n> The plumber."
    assert visible_text(text) == "Monday is fine.\n\nJeanne"


@pytest.mark.parametrize(
    "quoted",
    [
        "Le lun. 2 mars 2026 à 10:00, Steward <support@x.test> a écrit :\n> Le plombier passe lundi.",
        "De : Steward <support@x.test>\nEnvoyé : lundi 2 mars 2026 10:00\nÀ : Jeanne\nObjet : Re: fibre\n\nLe plombier",
        "-----Original Message-----\nFrom: Steward\nSent: Monday\n\nThe plumber comes.",
        "> Le plombier passe lundi.\n> Cordialement",
    ],
)
def test_french_and_outlook_quoted_history_is_trimmed(quoted: str) -> None:
    assert visible_text(f"Merci, lundi me convient.\n\n{quoted}") == "Merci, lundi me convient."


def test_a_message_with_nothing_to_trim_keeps_its_layout() -> None:
    text = "Line one\n    indented detail\nLine three"
    assert visible_text(text) == text


def test_a_message_that_is_all_quote_is_shown_whole() -> None:
    assert visible_text("> only a quote\n> nothing else") == "> only a quote\n> nothing else"


def test_html_becomes_text_with_its_paragraphs_lists_links_and_quotes() -> None:
    html = (
        "<p>Hello&nbsp;<b>team</b>,</p><ul><li>one</li><li>two</li></ul>"
        "<p>Call <a href='tel:+33600000001'>me</a> or see <a href='https://x.test/a'>https://x.test/a</a>.</p>"
        "<blockquote>old<br>text</blockquote><script>steal()</script><style>p{}</style>"
    )
    assert html_to_text(html) == (
        "Hello team,\n\n- one\n- two\n\nCall me (+33600000001) or see https://x.test/a.\n\n> old\n> text"
    )


def test_a_lying_charset_is_read_as_utf8_and_an_unknown_one_with_replacements() -> None:
    lying = parse_mail(_raw("From: a@b.test\nContent-Type: text/plain; charset=us-ascii", "Café".encode()))
    assert lying.text == "Café"
    unknown = parse_mail(_raw("From: a@b.test\nContent-Type: text/plain; charset=x-nowhere", "Café".encode("latin-1")))
    assert unknown.text == "Café"  # cp1252 is the fallback guess
    not_text = parse_mail(_raw("From: a@b.test\nContent-Type: text/plain; charset=rot13", b"Uryyb"))
    assert not_text.text == "Uryyb"


def test_control_characters_and_nul_bytes_never_reach_the_database() -> None:
    mail = parse_mail(_raw("From: a@b.test\nSubject: a\x00b", b"one\x00two\x07\r\nthree"))
    assert mail.text == "onetwo\nthree"
    assert mail.subject == "ab"


def test_a_mime_bomb_is_walked_only_so_far() -> None:
    nested = b"innermost"
    for depth in range(60):
        boundary = f"b{depth}".encode()
        nested = (
            b"Content-Type: multipart/mixed; boundary=" + boundary + b"\n\n--" + boundary + b"\n" + nested
            + b"\n--" + boundary + b"--\n"
        )  # fmt: skip
    mail = parse_mail(b"From: a@b.test\nSubject: bomb\n" + nested)
    assert mail.skipped_parts is True
    many = b"".join(b"--B\nContent-Type: text/plain\n\npart\n" for _ in range(1000))
    wide = parse_mail(b"From: a@b.test\nContent-Type: multipart/mixed; boundary=B\n\n" + many + b"--B--\n")
    assert wide.skipped_parts is True


@pytest.mark.parametrize(
    ("subject", "automatic"),
    [
        ("Out of office until Monday", True),
        ("Réponse automatique : Votre dossier", True),
        ("Absence : retour le 3 mars", True),
        ("Absence of signal since Monday", False),
        ("Re: my automatic reply settings are broken", False),
    ],
)
def test_out_of_office_subjects(subject: str, automatic: bool) -> None:
    mail = parse_mail(_raw(f"From: a@b.test\nSubject: {subject}"))
    assert bool(mail.automatic) is automatic


def test_auto_submitted_no_is_a_person() -> None:
    assert parse_mail(_raw("From: a@b.test\nAuto-Submitted: no")).automatic == ""


def test_a_customer_saying_undelivered_is_not_a_bounce() -> None:
    mail = parse_mail(_raw("From: jeanne@example.test\nSubject: Undelivered parcel"))
    assert mail.bounce is None


def test_the_key_is_the_message_id_or_a_digest() -> None:
    assert message_key(_raw("Message-ID:  <a.b@c.test>  ")) == "<a.b@c.test>"
    long_id = "<" + "x" * 300 + "@c.test>"
    assert message_key(_raw(f"Message-ID: {long_id}")) == "mid-sha256:" + hashlib.sha256(long_id.encode()).hexdigest()
    raw = _raw("From: a@b.test")
    assert message_key(raw) == "sha256:" + hashlib.sha256(raw).hexdigest()
    assert message_key(b"\xff\xfe garbage without headers").startswith("sha256:")
