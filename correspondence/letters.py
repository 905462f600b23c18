"""Printable letters for customers who prefer the post: one A4 page (or more) per notice, as PDF.

fpdf2 is pure Python, so the embedded default needs no system library. Its built-in fonts cover
Latin-1, which holds French; the few typographic characters outside it are replaced by their
plain equivalents rather than dropped.
"""

from datetime import datetime

from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext as _
from fpdf import FPDF

# Characters outside Latin-1 that French and English letters commonly contain.
_PLAIN = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u20ac": "EUR",
        "\u202f": " ",
    }
)


def _latin1(text: str) -> str:
    return text.translate(_PLAIN).encode("latin-1", "replace").decode("latin-1")


def letter_pdf(
    *,
    recipient_name: str,
    recipient_address: str,
    reference: str,
    subject: str,
    body: str,
    signature: str,
    written_at: datetime,
) -> bytes:
    """The letter as PDF bytes, in the language active when called (the recipient's)."""
    pdf = FPDF(format="A4")
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_title(_latin1(subject))
    pdf.set_author(_latin1(settings.COMPANY_NAME))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 7, _latin1(settings.COMPANY_NAME), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, 5, _latin1(settings.COMPANY_POSTAL_ADDRESS), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    # The address block sits where a window envelope shows it.
    pdf.set_x(110)
    pdf.set_font("Helvetica", "", 11)
    pdf.multi_cell(80, 5.5, _latin1(f"{recipient_name}\n{recipient_address}".strip()), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(12)
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 5, _latin1(formats.date_format(written_at, "DATE_FORMAT")), new_x="LMARGIN", new_y="NEXT", align="R")
    pdf.cell(0, 5, _latin1(_("Our reference: %(reference)s") % {"reference": reference}), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", "B", 11)
    pdf.multi_cell(0, 6, _latin1(subject), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 11)
    pdf.multi_cell(0, 6, _latin1(body), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.multi_cell(0, 6, _latin1(signature), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
