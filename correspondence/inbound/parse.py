"""Reading a raw e-mail without trusting it.

Nothing here raises for bad input: a header that does not parse is read raw, a part in an unknown or
lying charset is decoded with replacement characters, encoded words hiding line breaks come out as one
line, and a MIME bomb (parts nested hundreds deep, thousands of parts) is walked only so far: the rest
stays in the raw file, which is always kept. Nothing here touches the database.

What comes out (`ParsedMail`):
- the sender, the recipients, the subject, the Message-ID and the ids it answers (In-Reply-To, References);
- the text: the plain part, or the HTML part sanitised (nh3) and turned into text with its line breaks
  and links; and the same text without the quoted history and signature (mail-parser-reply, English and
  French), which is what staff read on the case;
- the attachments, as they were sent (the upload checks decide later what is kept);
- whether a machine wrote it: an automatic reply (Auto-Submitted, X-Autoreply, Precedence, an
  out-of-office subject), or a delivery failure report (a DSN, or a mailer daemon's own format).
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser, HeaderParser
from email.utils import getaddresses
from html.parser import HTMLParser
from typing import Any

import nh3
from mailparser_reply import EmailReplyParser

# The Message-ID is the idempotency key when it fits the key column with room for a prefix.
MAX_MESSAGE_ID = 190
# How deep and how many parts are walked: beyond, a message is a bomb and the raw file keeps the rest.
MAX_DEPTH = 12
MAX_PARTS = 300
# Trimming quoted history is regular-expression work: past this many characters the text is kept whole.
TRIM_LIMIT = 200_000
HEADER_LIMIT = 1024 * 1024
REPLY_LANGUAGES = ["en", "fr"]
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "Resent-To")

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_MESSAGE_ID = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]{1,500}>")
_ADDRESS = re.compile(r"^[^@\s<>(),;:\"\[\]\\]{1,64}@[^@\s<>(),;:\"\[\]\\]{1,253}$")
_ADDRESS_IN_TEXT = re.compile(r"[\w.+=-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")

AUTOMATIC_PRECEDENCE = {"auto_reply", "bulk", "junk", "list"}
AUTOMATIC_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoresponder")
# Out-of-office subjects, in English and French: a prefix followed by a colon (or nothing), so that a
# customer's "Absence of signal since Monday" is not taken for a machine.
_AUTOMATIC_SUBJECT = re.compile(
    r"^\s*(?:out of (?:the )?office\b"
    r"|(?:automatic reply|auto[- ]?reply|autoreply|r[ée]ponse automatique|absence|absente? du bureau)\s*(?::|$))",
    re.IGNORECASE,
)
BOUNCE_SENDERS = {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"}
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery status notification|delivery (?:failure|has failed|failed)|returned mail"
    r"|mail delivery (?:failed|failure|subsystem|system)|failure notice|could not be delivered"
    r"|non remis|non distribu|[ée]chec de (?:la )?(?:remise|distribution)|message non d[ée]livr",
    re.IGNORECASE,
)
_DELAY_SUBJECT = re.compile(r"delay|still being retried|will retry|retard", re.IGNORECASE)
_STATUS_LINE = re.compile(r"(?:^|\s)(?:[45]\d\d[ -]|[45]\.\d{1,3}\.\d{1,3}\b)")
_RETURNED_ID = re.compile(r"^\s*Message-ID:\s*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)


# --- cleaning -------------------------------------------------------------------------------


def clean_text(text: str) -> str:
    """Text safe to store: one kind of line break, no control characters (PostgreSQL refuses NUL),
    and no lone surrogates (what undecodable bytes become)."""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    return _SURROGATE.sub("\ufffd", _CONTROL.sub("", text))


def one_line(value: Any, limit: int) -> str:
    """A header value on one line: line breaks decoded from an encoded word cannot start a new header."""
    return " ".join(clean_text(str(value or "")).split())[:limit]


def message_ids(value: str) -> list[str]:
    return list(dict.fromkeys(_MESSAGE_ID.findall(str(value or ""))))


def is_address(value: str) -> bool:
    return bool(_ADDRESS.match(value)) and len(value) <= 254


# --- headers, before anything else ----------------------------------------------------------


def _header_block(raw: bytes) -> bytes:
    ends = [index for index in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if index >= 0]
    end = min(ends) if ends else len(raw)
    return raw[: min(end, HEADER_LIMIT)]


def read_headers(raw: bytes) -> Message:
    """Only the header block, decoded (encoded words, RFC 2231): cheap even for a 30 MB message."""
    return BytesHeaderParser(policy=policy.default).parsebytes(_header_block(raw))


def header(message: Message, name: str) -> str:
    values = header_all(message, name)
    return values[0] if values else ""


def header_all(message: Message, name: str) -> list[str]:
    """Every value of a header, decoded; read raw when the decoding itself fails."""
    try:
        return [str(value) for value in message.get_all(name) or []]
    except Exception:
        return [str(value) for key, value in message.raw_items() if key.lower() == name.lower()]


def message_key(raw: bytes) -> str:
    """The idempotency key of a raw message: its Message-ID, or the SHA-256 of the bytes without one."""
    try:
        found = message_ids(header(read_headers(raw), "Message-ID"))
    except Exception:
        found = []
    if not found:
        return "sha256:" + hashlib.sha256(raw).hexdigest()
    message_id = found[0]
    if len(message_id) > MAX_MESSAGE_ID:
        return "mid-sha256:" + hashlib.sha256(message_id.encode()).hexdigest()
    return message_id


def identity(raw: bytes) -> str:
    """What stays the same when one message arrives twice by different roads (its Received and
    Delivered-To headers, its line endings differ): its author, date, subject and body. Two messages
    with one Message-ID but different identities are two messages (a device reusing its ids)."""
    head = _header_block(raw)
    body = raw[len(head) :].replace(b"\r\n", b"\n").strip()
    try:
        headers = read_headers(raw)
        parts = [one_line(header(headers, name), 1000) for name in ("From", "Date", "Subject")]
    except Exception:
        parts = []
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "replace"))
    digest.update(b"\x1e")
    digest.update(body)
    return digest.hexdigest()


def first_address(values: list[str]) -> tuple[str, str]:
    """The display name and address of the first address in header values."""
    for name, address in _addresses(values):
        return name, address
    return "", ""


def _addresses(values: list[str]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    try:
        pairs = getaddresses([one_line(value, 5000) for value in values])
    except Exception:
        pairs = []
    for name, address in pairs:
        address = one_line(address, 254).strip("<>")
        if is_address(address):
            found.append((one_line(name, 200), address))
    return found


# --- the whole message ----------------------------------------------------------------------


@dataclass(frozen=True)
class MailAttachment:
    name: str
    content: bytes
    content_type: str


@dataclass(frozen=True)
class Bounce:
    """A delivery failure report: which of our e-mails it is about, and why it failed."""

    failed: bool
    message_ids: tuple[str, ...]
    addresses: tuple[str, ...]
    recipients: tuple[str, ...]
    reason: str


@dataclass
class ParsedMail:
    message_id: str = ""
    from_name: str = ""
    from_address: str = ""
    recipients: list[str] = field(default_factory=list)
    subject: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    steward_case: str = ""
    text: str = ""
    visible: str = ""
    from_html: bool = False
    attachments: list[MailAttachment] = field(default_factory=list)
    automatic: str = ""
    bounce: Bounce | None = None
    skipped_parts: bool = False

    @property
    def trimmed(self) -> bool:
        return self.visible != self.text.strip()


def parse_mail(raw: bytes) -> ParsedMail:
    """Read a raw message (see the module's docstring); never raises for what the message contains."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    mail = ParsedMail()
    mail.message_id = (message_ids(header(message, "Message-ID")) or [""])[0]
    mail.from_name, mail.from_address = first_address(header_all(message, "From"))
    if not mail.from_address:
        mail.from_name, mail.from_address = first_address(header_all(message, "Sender"))
    mail.recipients = list(
        dict.fromkeys(address for name in RECIPIENT_HEADERS for _n, address in _addresses(header_all(message, name)))
    )
    mail.subject = one_line(header(message, "Subject"), 300)
    mail.in_reply_to = message_ids(" ".join(header_all(message, "In-Reply-To")))
    mail.references = message_ids(" ".join(header_all(message, "References")))
    mail.steward_case = one_line(header(message, "X-Steward-Case"), 40)

    reader = _PartReader()
    reader.read(message, depth=0, in_report=False)
    mail.skipped_parts = reader.skipped
    mail.attachments = reader.attachments
    plain = "\n\n".join(text.strip("\n") for text in reader.plain if text.strip())
    if plain:
        mail.text = clean_text(plain).strip()
    elif reader.html:
        mail.text = clean_text(html_to_text("\n".join(reader.html))).strip()
        mail.from_html = True
    mail.visible = visible_text(mail.text)

    return_path = " ".join(header_all(message, "Return-Path")).strip()
    null_sender = return_path.replace(" ", "") == "<>"
    mail.bounce = _bounce(message, mail, reader, null_sender=null_sender)
    if mail.bounce is None:
        mail.automatic = _automatic(message, mail.subject, null_sender=null_sender)
    return mail


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "application/octet-stream"


def _filename(part: Message) -> str:
    try:
        return part.get_filename() or ""
    except Exception:
        return ""


def _disposition(part: Message) -> str:
    try:
        return part.get_content_disposition() or ""
    except Exception:
        return ""


def decoded_bytes(part: Message) -> bytes:
    """A leaf part's content with its transfer encoding undone (what can be undone of a broken one)."""
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogateescape")
    return b""


def decoded_text(part: Message) -> str:
    """A text part as text: its declared charset when that works, else UTF-8, else with replacement
    characters (an unknown charset loses at worst a few accented letters, never the message)."""
    data = decoded_bytes(part)
    try:
        declared = str(part.get_content_charset() or "").strip()
    except Exception:
        declared = ""
    candidates = [name for name in (declared, "utf-8") if name and _text_codec(name)]
    for name in candidates:
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError, ValueError):
            continue
    fallback = declared if declared and _text_codec(declared) else "cp1252"
    return data.decode(fallback, "replace")


def _text_codec(name: str) -> bool:
    try:
        b"a".decode(name, "ignore")  # "rot13" and "base64" are codecs, but not for text
    except (LookupError, ValueError, TypeError):
        return False
    return True


class _PartReader:
    """Walks the MIME tree: the body's text, the attachments, and what a delivery report carries."""

    def __init__(self) -> None:
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[MailAttachment] = []
        self.reports: list[Message] = []
        self.returned: list[Message] = []
        self.report_text: list[str] = []
        self.parts = 0
        self.skipped = False

    def read(self, part: Message, *, depth: int, in_report: bool) -> None:
        self.parts += 1
        if depth > MAX_DEPTH or self.parts > MAX_PARTS:
            self.skipped = True
            return
        content_type = _content_type(part)
        payload = part.get_payload()
        if content_type in ("message/rfc822", "message/global") and isinstance(payload, list):
            self._embedded(payload[0] if payload else None, in_report=in_report)
            return
        if content_type == "message/delivery-status":
            self.reports.append(part)
            return
        if content_type == "text/rfc822-headers":
            self.returned.append(HeaderParser(policy=policy.default).parsestr(decoded_text(part)))
            return
        if isinstance(payload, list):
            children = [child for child in payload if isinstance(child, Message)]
            if content_type == "multipart/alternative":
                chosen = _pick_alternative(children)
                children = [chosen] if chosen is not None else []
            report = in_report or content_type == "multipart/report"
            for child in children:
                self.read(child, depth=depth + 1, in_report=report)
            return
        self._leaf(part, content_type, in_report=in_report)

    def _embedded(self, inner: Message | None, *, in_report: bool) -> None:
        if inner is None:
            return
        if in_report:
            # The e-mail a delivery report returns: ours, so its headers say which one failed.
            self.returned.append(inner)
            return
        try:
            content = inner.as_bytes(policy=policy.SMTP)
        except Exception:
            try:
                content = str(inner).encode("utf-8", "replace")
            except Exception:
                self.skipped = True
                return
        name = one_line(header(inner, "Subject"), 80) or "forwarded-message"
        name = _safe_name(f"{name}.eml", "forwarded-message.eml")
        self.attachments.append(MailAttachment(name, content, "message/rfc822"))

    def _leaf(self, part: Message, content_type: str, *, in_report: bool) -> None:
        filename = _filename(part)
        is_text = content_type in ("text/plain", "text/html") or content_type.startswith("multipart/")
        if is_text and not filename and _disposition(part) != "attachment":
            text = decoded_text(part)
            if in_report:
                self.report_text.append(text)
            if content_type == "text/html":
                self.html.append(text)
            else:
                self.plain.append(text)
            return
        content = decoded_bytes(part)
        if not content:
            return
        extension = mimetypes.guess_extension(content_type) or ".bin"
        fallback = f"attachment-{len(self.attachments) + 1}{extension}"
        self.attachments.append(MailAttachment(_safe_name(filename, fallback), content, content_type))


def _pick_alternative(children: list[Message]) -> Message | None:
    """Of the renderings of one text, the plain one when it says something, else the richest."""
    for child in children:
        if _content_type(child) == "text/plain" and decoded_text(child).strip():
            return child
    for child in reversed(children):
        if _content_type(child) in ("text/html", "multipart/related", "multipart/mixed"):
            return child
    return children[-1] if children else None


def _safe_name(name: str, fallback: str) -> str:
    """A file name with no path, no line break and no character a file system or a header trips on."""
    name = one_line(name, 500).replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r'[<>:"|?*\x00-\x1f]', "_", name).strip(" .")
    if not name:
        return fallback
    if len(name) > 120:
        stem, dot, extension = name.rpartition(".")
        name = f"{stem[:100]}.{extension[:10]}" if dot and stem else name[:120]
    return name


# --- HTML-only mail ------------------------------------------------------------------------

# Tags that end a paragraph (a blank line follows), and tags that only end a line.
_PARAGRAPH_TAGS = {
    "p", "ul", "ol", "table", "blockquote", "pre", "hr", "dl",
    "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "header", "footer",
}  # fmt: skip
_LINE_TAGS = {"div", "li", "tr", "dd", "dt"}
_KEPT_TAGS = _PARAGRAPH_TAGS | _LINE_TAGS | {"br", "a", "td", "th", "tbody", "thead", "span", "b", "strong", "i", "em"}


def html_to_text(markup: str) -> str:
    """Sanitise (nh3: scripts, styles and everything else active go, their content too) and turn into
    text: paragraphs and line breaks kept, links written out, quoted blocks marked with "> " so the
    quoted history can be trimmed like a plain e-mail's."""
    cleaned = nh3.clean(
        markup,
        tags=_KEPT_TAGS,
        clean_content_tags={"script", "style", "head", "title", "noscript", "template"},
        attributes={"a": {"href"}},
        link_rel=None,
        url_schemes={"http", "https", "mailto", "tel"},
    )
    converter = _TextConverter()
    converter.feed(cleaned)
    converter.close()
    return converter.text()


class _TextConverter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.line = ""
        self.line_quote = 0
        self.quote = 0
        self.pre = 0
        self.links: list[tuple[str, str]] = []

    def _end_line(self, *, paragraph: bool = False, always: bool = False) -> None:
        text = self.line.rstrip() if self.pre else self.line.strip()
        if text or always:
            self.lines.append(("> " * self.line_quote + text).rstrip())
        if paragraph and self.lines and self.lines[-1]:
            self.lines.append("")
        self.line = ""
        self.line_quote = self.quote

    def _block(self, tag: str) -> None:
        if tag in _PARAGRAPH_TAGS:
            self._end_line(paragraph=True)
        elif tag in _LINE_TAGS:
            self._end_line()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links.append((dict(attrs).get("href") or "", ""))
            return
        if tag == "br":
            self._end_line(always=True)
            return
        if tag in ("td", "th") and self.line.strip():
            self.line += "  "
        self._block(tag)
        if tag == "blockquote":
            self.quote += 1
            self.line_quote = self.quote
        elif tag == "pre":
            self.pre += 1
        elif tag == "li":
            self.line += "- "

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.links:
            href, text = self.links.pop()
            target = href.removeprefix("mailto:").removeprefix("tel:")
            if href and target.rstrip("/") not in text:
                self.handle_data(f" ({target})")
            return
        self._block(tag)
        if tag == "blockquote":
            self.quote = max(0, self.quote - 1)
            self.line_quote = self.quote
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)

    def handle_data(self, data: str) -> None:
        if self.pre:
            pieces = data.split("\n")
            for index, piece in enumerate(pieces):
                if index:
                    self._end_line(always=True)
                self.line += piece
        else:
            data = re.sub(r"\s+", " ", data)
            if not self.line.strip():
                data = data.lstrip()
                self.line_quote = self.quote
            self.line += data
        if self.links:
            href, text = self.links[-1]
            self.links[-1] = (href, text + data)

    def text(self) -> str:
        self._end_line()
        joined = "\n".join(self.lines)
        return re.sub(r"\n{3,}", "\n\n", joined).strip()


# --- quoted history -------------------------------------------------------------------------


def visible_text(text: str) -> str:
    """The text without the quoted earlier messages and the signature block under it, for reading on
    the case. Never empty when the text is not: a message that is all quote is shown whole."""
    text = text.strip()
    if not text or len(text) > TRIM_LIMIT:
        return text
    try:
        reply = EmailReplyParser(languages=REPLY_LANGUAGES).parse_reply(text) or ""
    except Exception:
        return text
    lines = reply.strip().split("\n")
    # A quote left under the reply with no "On … wrote:" line above it.
    while lines and (lines[-1].startswith(">") or not lines[-1].strip()):
        lines.pop()
    reply = "\n".join(lines).strip()
    if not reply:
        return text
    # The parser strips every line; when it cut nothing, keep the customer's own layout.
    if reply == "\n".join(line.strip() for line in text.split("\n")).strip():
        return text
    return reply


# --- machines -------------------------------------------------------------------------------


def _automatic(message: Message, subject: str, *, null_sender: bool) -> str:
    """Why the message is an automatic reply (the header or subject that says so); "" for a person's."""
    submitted = one_line(header(message, "Auto-Submitted"), 100)
    if submitted and submitted.split(";")[0].strip().lower() != "no":
        return f"Auto-Submitted: {submitted}"
    for name in AUTOMATIC_HEADERS:
        values = header_all(message, name)
        if values and one_line(values[0], 50).lower() not in ("no", "false", "0"):
            return f"{name}: {one_line(values[0], 50)}".strip()
    precedence = one_line(header(message, "Precedence"), 50).lower()
    if precedence in AUTOMATIC_PRECEDENCE:
        return f"Precedence: {precedence}"
    if _AUTOMATIC_SUBJECT.match(subject):
        return f"Subject: {subject[:100]}"
    if null_sender:
        return "Return-Path: <>"
    return ""


def _bounce(message: Message, mail: ParsedMail, reader: _PartReader, *, null_sender: bool) -> Bounce | None:
    """A delivery failure report (RFC 3464), or a mailer daemon's report in its own words."""
    try:
        content_type = message.get_content_type()
        report_type = str(message.get_param("report-type") or "").lower()
    except Exception:
        content_type, report_type = "", ""
    standard = content_type == "multipart/report" and report_type == "delivery-status"
    local_part = mail.from_address.split("@")[0].lower()
    daemon = local_part in BOUNCE_SENDERS or null_sender
    if not standard and not (daemon and _BOUNCE_SUBJECT.search(mail.subject)):
        return None

    blocks = [block for report in reader.reports for block in _status_blocks(report)]
    failures: list[str] = []
    recipients: list[str] = []
    actions: list[str] = []
    for block in blocks:
        action = one_line(header(block, "Action"), 40).lower()
        status = one_line(header(block, "Status"), 40)
        diagnostic = one_line(header(block, "Diagnostic-Code"), 500)
        recipient = one_line(header(block, "Final-Recipient") or header(block, "Original-Recipient"), 300)
        if not (action or status or recipient):
            continue  # the per-message block
        if recipient:
            recipients.append(recipient.split(";")[-1].strip())
        actions.append(action or ("failed" if status.startswith("5") else "delayed" if status.startswith("4") else ""))
        if actions[-1] in ("failed", ""):
            failures.append(" ".join(part for part in (status, diagnostic) if part))
    # Without per-recipient blocks (a daemon's own format), only a subject saying "delayed" is no failure.
    failed = any(action in ("failed", "") for action in actions) if actions else not _DELAY_SUBJECT.search(mail.subject)

    text = "\n".join([mail.text, *reader.report_text])
    ids: list[str] = []
    addresses: list[str] = []
    for returned in reader.returned:
        ids += message_ids(header(returned, "Message-ID"))
        for name in ("Reply-To", "From", "To"):
            addresses += [address for _n, address in _addresses(header_all(returned, name))]
    ids += _RETURNED_ID.findall(text)
    addresses += _ADDRESS_IN_TEXT.findall(text)[:200]

    reason = "; ".join(failure for failure in failures if failure)
    if not reason:
        reason = next((line.strip() for line in text.splitlines() if _STATUS_LINE.search(line)), "") or mail.subject
    return Bounce(
        failed=failed,
        message_ids=tuple(dict.fromkeys(ids)),
        addresses=tuple(dict.fromkeys(address.lower() for address in addresses)),
        recipients=tuple(dict.fromkeys(recipients)),
        reason=one_line(reason, 1000),
    )


def _status_blocks(report: Message) -> list[Message]:
    payload = report.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    text = decoded_text(report)
    return [HeaderParser(policy=policy.default).parsestr(chunk) for chunk in re.split(r"\n\s*\n", text) if chunk]
