"""Charts as PNG images for the Word document (Word shows no inline SVG): horizontal bars of one value
per row of a report table, drawn with Pillow, with the title in the image's alternative text."""
from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from app.services.reports.table import Table

BRAND = (11, 79, 113)
TEXT = (28, 36, 48)
WIDTH, ROW, MARGIN, LABEL = 1200, 44, 24, 380


def _font(size: int):
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:  # the font is not installed: Pillow's own (still legible, no Swedish glyph missing)
        return ImageFont.load_default(size)


def value_column(table: Table) -> str | None:
    """The column the chart draws: "total" when the table has one, else its last numeric column."""
    keys = [k for k, _ in table.columns]
    if "total" in keys:
        return "total"
    numeric = [k for k in keys[1:] if table.rows and all(isinstance(r.get(k), int | float) for r in table.rows)]
    return numeric[-1] if numeric else None


def bars_png(table: Table) -> bytes | None:
    """The table as horizontal bars (label: the first column), or None when it has nothing to draw."""
    column = value_column(table)
    if column is None or not table.rows:
        return None
    label_key = table.columns[0][0]
    rows = [(str(r.get(label_key) or "–"), float(r.get(column) or 0)) for r in table.rows]
    top = max((v for _, v in rows), default=0) or 1
    height = MARGIN * 2 + ROW * (len(rows) + 1)
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    font, bold = _font(22), _font(24)
    draw.text((MARGIN, MARGIN), f"{table.title} ({dict(table.columns)[column].lower()})", fill=TEXT, font=bold)
    for i, (label, value) in enumerate(rows, start=1):
        y = MARGIN + ROW * i
        draw.text((MARGIN, y + 8), label[:30], fill=TEXT, font=font)
        length = int((WIDTH - LABEL - MARGIN - 90) * value / top)
        draw.rectangle((LABEL, y + 6, LABEL + max(length, 1), y + ROW - 8), fill=BRAND)
        draw.text((LABEL + length + 10, y + 8), f"{value:g}".replace(".", ","), fill=TEXT, font=font)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
