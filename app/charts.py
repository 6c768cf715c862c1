"""Small server-side SVG charts: accessible (role="img", <title>, <desc>, a <title> tooltip on every
bar) and dependency-free, so they render the same in the browser and in WeasyPrint's PDF. Every chart
is drawn from a report Table, which the page also shows as a table behind the chart.

Written by hand rather than with a plotting library: two chart shapes are needed, the output is ~100
lines of plain SVG, and libraries such as pygal or matplotlib either emit scripts/inline styles that
WeasyPrint ignores or pull in a large dependency for what is a few rectangles.
"""
from __future__ import annotations

from itertools import count
from math import ceil, floor, log10

from markupsafe import Markup, escape

# Colour-blind-safe qualitative palette (Okabe–Ito, then Paul Tol's muted scheme).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#332288",
           "#88CCEE", "#117733", "#AA4499", "#999933", "#882255", "#44AA99", "#DDCC77", "#661100"]
FONT = 'font-family="DejaVu Sans, Arial, sans-serif"'
_ids = count(1)


def _axis(value: float, ticks: int = 4) -> tuple[float, list[float]]:
    """A round axis maximum at or above `value` and its tick values (whole numbers for counts)."""
    if value <= 0:
        return 4, [0, 1, 2, 3, 4]
    raw = value / ticks
    exponent = 10 ** floor(log10(raw))
    step = next(m * exponent for m in (1, 2, 2.5, 5, 10) if m * exponent >= raw)
    if step < 1:
        step = 1
    elif step == 2.5 * exponent and exponent < 10:
        step = 5 * exponent if exponent >= 1 else 1
    count = ceil(value / step)
    return step * count, [step * i for i in range(count + 1)]


def _fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}".replace(".", ",")
    return str(int(value))


def _frame(chart_id: str, title: str, desc: str, width: int, height: int, body: list[str]) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" aria-labelledby="{chart_id}-t {chart_id}-d" {FONT}>'
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(desc)}</desc>'
        + "".join(body) + "</svg>"
    )


def _legend(series: list[tuple[str, str]], x: int, y: int, width: int) -> tuple[list[str], int]:
    """Legend items laid out in rows; returns the SVG and the height used."""
    out, cx, cy = [], x, y
    for index, (_, label) in enumerate(series):
        item_width = 22 + 7 * len(label)
        if cx + item_width > width and cx > x:
            cx, cy = x, cy + 18
        out.append(f'<rect x="{cx}" y="{cy}" width="12" height="12" fill="{PALETTE[index % len(PALETTE)]}"/>'
                   f'<text x="{cx + 16}" y="{cy + 10}" font-size="11">{escape(label)}</text>')
        cx += item_width
    return out, cy - y + 18


def stacked_columns(title: str, desc: str, labels: list[str], series: list[tuple[str, str]],
                    values: list[dict], *, width: int = 760, height: int = 320) -> Markup:
    """Vertical stacked columns: one column per label, one segment per series key."""
    chart_id = f"chart{next(_ids)}"
    legend, legend_height = _legend(series, 50, 8, width - 10)
    top, left, bottom = 16 + legend_height, 50, 40
    plot_h, plot_w = height - top - bottom, width - left - 10
    totals = [sum(v.get(k) or 0 for k, _ in series) for v in values]
    maximum, ticks = _axis(max(totals, default=0))
    body = list(legend)
    for tick in ticks:
        y = top + plot_h - plot_h * tick / maximum
        body.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                    f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{_fmt(tick)}</text>')
    slot = plot_w / max(len(labels), 1)
    bar = slot * 0.7
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + i * slot + (slot - bar) / 2
        y = top + plot_h
        for index, (key, name) in enumerate(series):
            amount = value.get(key) or 0
            if not amount:
                continue
            h = plot_h * amount / maximum
            y -= h
            body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                        f'fill="{PALETTE[index % len(PALETTE)]}"><title>{escape(label)}, {escape(name)}: '
                        f'{_fmt(amount)}</title></rect>')
        body.append(f'<text x="{x + bar / 2:.1f}" y="{top + plot_h + 16}" font-size="11" text-anchor="middle">'
                    f'{escape(label[:3])}</text>')
    body.append(f'<line x1="{left}" x2="{width - 10}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#333"/>')
    return _frame(chart_id, title, desc, width, height, body)


def horizontal_bars(title: str, desc: str, labels: list[str], series: list[tuple[str, str]],
                    values: list[dict], *, width: int = 760, unit: str = "", maximum: float | None = None) -> Markup:
    """Horizontal bars, one group per label and one bar per series key (side by side)."""
    chart_id = f"chart{next(_ids)}"
    legend, legend_height = _legend(series, 10, 8, width - 10) if len(series) > 1 else ([], 0)
    left = min(260, 12 + 7 * max((len(label) for label in labels), default=4))
    bar_h, gap = 14, 10
    group_h = bar_h * len(series) + gap
    top = 14 + legend_height
    height = top + group_h * max(len(labels), 1) + 24
    plot_w = width - left - 60
    top_value = max((v.get(k) or 0 for v in values for k, _ in series), default=0)
    if maximum:
        ticks = [maximum * i / 4 for i in range(5)]
    else:
        maximum, ticks = _axis(top_value)
    body = list(legend)
    for tick in ticks:
        x = left + plot_w * tick / maximum
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 4}" y2="{height - 22}" stroke="#ddd"/>'
                    f'<text x="{x:.1f}" y="{height - 8}" font-size="11" text-anchor="middle">{_fmt(tick)}{unit}</text>')
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y0 = top + i * group_h
        body.append(f'<text x="{left - 6}" y="{y0 + group_h / 2 + 1:.1f}" font-size="11" text-anchor="end">'
                    f'{escape(label)}</text>')
        for index, (key, name) in enumerate(series):
            amount = value.get(key)
            y = y0 + index * bar_h
            w = plot_w * (amount or 0) / maximum
            tip = f"{escape(label)}, {escape(name)}: {_fmt(amount)}{unit}" if len(series) > 1 else \
                f"{escape(label)}: {_fmt(amount)}{unit}"
            body.append(f'<rect x="{left}" y="{y}" width="{max(w, 0):.1f}" height="{bar_h - 2}" '
                        f'fill="{PALETTE[index % len(PALETTE)]}"><title>{tip}</title></rect>'
                        f'<text x="{left + w + 4:.1f}" y="{y + bar_h - 4}" font-size="10">{_fmt(amount)}{unit}</text>')
    body.append(f'<line x1="{left}" x2="{left}" y1="{top - 4}" y2="{height - 22}" stroke="#333"/>')
    return _frame(chart_id, title, desc, width, height, body)


def _series_from(table, skip: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(k, label) for k, label in table.columns if k not in skip]


def chart_for(table) -> Markup | None:
    """The chart drawn from a report table (app.services.reports.Table), or None if it has none."""
    key, rows = table.key, table.rows
    if key == "avvikelser_manad_kategori":
        series = _series_from(table, ("month", "total"))
        total = (table.total or {}).get("total", 0)
        return stacked_columns(table.title, f"Staplat stapeldiagram: antal avvikelser per månad, uppdelat på "
                               f"kategori; totalt {total}. Siffrorna finns i tabellen under diagrammet.",
                               [r["month"] for r in rows], series or [("total", "Avvikelser")], rows)
    if key == "avvikelser_enhet_jamforelse":
        series = [("previous", table.columns[2][1]), ("current", table.columns[3][1])]
        return horizontal_bars(table.title, f"Liggande staplar per enhet: antal avvikelser {series[1][1]} "
                               f"jämfört med {series[0][1]}.", [r["unit"] for r in rows], series, rows)
    if key == "ledtid":
        all_rows = rows + ([table.total] if table.total else [])
        return horizontal_bars(table.title, "Liggande staplar per verksamhetsområde och totalt: median och 90:e "
                               "percentilen av antal dagar från rapport till avslut.",
                               [r["name"] for r in all_rows], [("median", "Median"), ("p90", "90:e percentilen")],
                               all_rows, unit=" d")
    if key == "uppfoljning_i_tid":
        all_rows = rows + ([table.total] if table.total else [])
        return horizontal_bars(table.title, "Liggande staplar per enhet: andel av enhetschefens uppföljningar "
                               "som gjordes senast sista dag, i procent.", [r["unit"] for r in all_rows],
                               [("share", "Andel i tid")], all_rows, unit=" %", maximum=100)
    if key == "forsenade_uppgifter":
        return horizontal_bars(table.title, "Liggande staplar per enhet: antal öppna uppgifter vars sista dag "
                               "har passerat.", [r["unit"] for r in rows], [("overdue", "Försenade uppgifter")], rows)
    if key == "avvikelser_allvarlighet":
        return horizontal_bars(table.title, "Liggande staplar: antal avvikelser per allvarlighetsgrad (konsekvens "
                               "gånger sannolikhet).", [r["name"] for r in rows], [("avvikelser", "Avvikelser")], rows)
    if key == "avvikelser_kategori":
        return horizontal_bars(table.title, "Liggande staplar: antal avvikelser per kategori.",
                               [r["name"] for r in rows], [("avvikelser", "Avvikelser")], rows)
    if key == "kontroller":
        return horizontal_bars(table.title, "Liggande staplar per slag av kontroll: planerade och genomförda "
                               "kontrollpunkter och de som visade brister.", [r["kind"] for r in rows],
                               [("planned", "Planerade"), ("done", "Genomförda"), ("brister", "Med brister")], rows)
    if key in ("tillsyn_myndighet", "tillsyn_beslut"):
        what = "myndighet" if key == "tillsyn_myndighet" else "beslut"
        return horizontal_bars(table.title, f"Liggande staplar: antal tillsynsärenden per {what}.",
                               [r["name"] for r in rows], [("count", "Ärenden")], rows)
    if key.startswith("sammanstallning_"):
        return horizontal_bars(table.title, "Liggande staplar per grupp: avvikelser, lex Sarah, IVO-anmälningar "
                               "och synpunkter/klagomål.", [r["name"] for r in rows],
                               _series_from(table, ("name",)), rows)
    return None
