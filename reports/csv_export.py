"""A report table as a CSV file that spreadsheet applications open as it is: UTF-8 with a byte
order mark, a header row, and no cell a spreadsheet would run as a formula."""

import csv
import io

# A cell beginning with one of these is a formula to a spreadsheet (CSV injection): a leading
# apostrophe makes it plain text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_text(header: list[str], lines: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for line in [header, *lines]:
        writer.writerow([safe_cell(cell) for cell in line])
    return "\ufeff" + out.getvalue()
