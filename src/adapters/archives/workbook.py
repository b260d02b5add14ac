"""``Products.xlsx`` (decision Q16) with xlsxwriter, safe against formula injection.

Every seller-controlled cell is written with ``write_string`` (never a formula, number or
URL, whatever it looks like), and a value starting with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return additionally carries Excel's quote prefix, so editing the cell in a
spreadsheet program cannot turn it into a formula either. The value itself is unchanged.
``constant_memory`` flushes each row to a temporary file: memory does not grow with rows.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import xlsxwriter

from reseller_core.domain.archive_manifest import EXPORT_COLUMNS, PRODUCT_COLUMNS, sheet_row

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CELL_MAX_CHARS = 32_767
"""Excel's limit for one cell; longer text is cut (the manifest keeps the whole value)."""
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def cell_text(value: str) -> str:
    """Text an XLSX cell can hold: no characters XML 1.0 forbids, at most 32,767 long."""
    return _XML_ILLEGAL.sub("", value)[:CELL_MAX_CHARS]


class ProductsWorkbook:
    """Writes the two worksheets of spec 50 §6.1 row by row into ``path``."""

    def __init__(self, path: Path) -> None:
        self._book = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
                "tmpdir": str(path.parent),
            },
        )
        self._header = self._book.add_format({"bold": True})
        self._quoted = self._book.add_format({"quote_prefix": True})
        self._export = self._book.add_worksheet("Export")
        self._products = self._book.add_worksheet("Products")
        self._write_header(self._products, PRODUCT_COLUMNS)
        self._row = 1

    def _write_header(self, sheet: Any, columns: tuple[str, ...]) -> None:
        for column, title in enumerate(columns):
            sheet.write_string(0, column, title, self._header)

    def _text(self, sheet: Any, row: int, column: int, value: str) -> None:
        text = cell_text(value)
        if text.startswith(FORMULA_TRIGGERS):
            sheet.write_string(row, column, text, self._quoted)
        else:
            sheet.write_string(row, column, text)

    def add_product(self, entry: dict[str, Any]) -> None:
        cells, marketplace_count = sheet_row(entry)
        for column, value in enumerate(cells):
            self._text(self._products, self._row, column, value)
        self._products.write_number(self._row, len(cells), marketplace_count)
        self._row += 1

    def close(self, export_entry: dict[str, Any]) -> None:
        """Write the ``Export`` sheet (its count is known only now) and finish the file."""
        self._write_header(self._export, EXPORT_COLUMNS)
        values = [
            export_entry["id"],
            export_entry["name"],
            export_entry["file_name"],
            export_entry["requested_at"] or "",
        ]
        for column, value in enumerate(values):
            self._text(self._export, 1, column, str(value))
        self._export.write_number(1, len(values), export_entry["product_count"])
        self._book.close()
