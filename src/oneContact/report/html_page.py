"""The HTML rendering of a report (:meth:`Report.to_html`): one self-contained page with
inline CSS and SVG charts, no scripts, nothing fetched.

Charts: hand-written inline SVG, no library. The page must be one file that opens
offline, in a mail client or on an intranet without scripts, and prints; three small
charts do not justify vendoring Vega-Lite with its runtime (about 1 MB of JavaScript from
npm, and a page that is blank without scripts), inlining plotly.js (3.5 MB) or depending
on matplotlib (and numpy) on a server. SVG written here is a few kilobytes, renders
without JavaScript, and carries ``data-*`` attributes a test can check.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from .._messages import text as _msg
from .._messages import urgency_name
from .measures import MIN_CELL, NO_PLACE, OTHER_PLACE, PLACE_DIMENSIONS, ReportRow
from .overrides import OverrideCounts, Overrides, answered_rules, rate_text, reason_name
from .text import columns_in, number, percent, period_span

if TYPE_CHECKING:  # pragma: no cover
    from .value import Report

__all__ = ["place_name", "render_html"]

_HTML_BREACHES = 500  # rows of the breach table in the HTML page; the rest is counted

_GREEN, _AMBER, _RED, _DARK_RED = "#2e7d32", "#f2a900", "#c62828", "#7f0000"
_BLUE, _PURPLE, _GREY, _INK = "#5c7fa3", "#7b5ea7", "#c9ced6", "#1f2933"
# Waiting-time bins: a week each up to 13 weeks (91 days, about 3 months), then the rest.
_BINS: tuple[tuple[int, int | None], ...] = (
    (0, 7),
    *((7 * i + 1, 7 * i + 7) for i in range(1, 13)),
    (92, None),
)
_OUTCOMES: tuple[tuple[str, str, str], ...] = (
    ("met", "met", _GREEN),
    ("breached", "breached", _RED),
    ("open_past_due", "open past due", _DARK_RED),
    ("open", "open", _BLUE),
    ("declined", "declined", _PURPLE),
    ("no_limit", "no limit", _GREY),
)

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2933;
margin:0;background:#f4f6f8}
main{max-width:1120px;margin:0 auto;padding:24px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 6px}
p.lead{margin:0 0 16px;color:#52606d}
.tiles{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.tile{background:#fff;border-radius:8px;padding:12px 16px;min-width:150px;flex:1;
box-shadow:0 1px 2px rgba(0,0,0,.08)}
.tile b{display:block;font-size:26px}.tile span{color:#52606d;font-size:13px}
.grid{display:flex;flex-wrap:wrap;gap:16px}
figure{background:#fff;border-radius:8px;margin:0;padding:12px;
box-shadow:0 1px 2px rgba(0,0,0,.08)}
figcaption{font-weight:600;margin-bottom:4px}
.note{color:#52606d;font-size:13px;max-width:900px}
table{border-collapse:collapse;background:#fff;font-size:13px;margin-top:8px}
th,td{padding:4px 8px;border-bottom:1px solid #e4e7eb;text-align:right;white-space:nowrap}
th{background:#e4e7eb}th.k,td.k{text-align:left}tr.total td{font-weight:700}
td.hidden{text-align:center;color:#52606d;font-style:italic}
.legend span{display:inline-block;margin-right:14px;font-size:13px}
.legend i{display:inline-block;width:11px;height:11px;margin-right:4px;vertical-align:-1px}
svg text{font:11px system-ui,sans-serif;fill:#1f2933}
@media print{body{background:#fff}figure,.tile{box-shadow:none;border:1px solid #ccc}}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _svg(
    width: int, height: int, title: str, attrs_: Mapping[str, str], body: Iterable[str]
) -> str:
    data = "".join(f' data-{k}="{_e(v)}"' for k, v in attrs_.items())
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}"{data}>'
        f"<title>{_e(title)}</title>{''.join(body)}</svg>"
    )


def _bin_label(low: int, high: int | None) -> str:
    return f"{low}+" if high is None else f"{low}-{high}"


def _waiting_chart(service: str, name: str, row: ReportRow, lang: str) -> str:
    """Histogram of one service's waiting days with the 14-day and 3-month limits."""
    width, height, left, right, top, bottom = 420, 220, 36, 10, 36, 40
    counts = [
        sum(n for d, n in row.waiting_days.items() if d >= low and (high is None or d <= high))
        for low, high in _BINS
    ]
    peak = max(counts) or 1
    plot_w, plot_h = width - left - right, height - top - bottom
    bar_w = plot_w / len(_BINS)
    head = _msg(
        "report.chart_waiting_head",
        lang,
        service=name,
        started=row.care_started,
        median=number(row.waiting_days_median),
        share=percent(row.within_14_days_share),
    )
    body = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
        f'stroke="#9aa5b1"/>',
        f'<text x="{left}" y="14" font-weight="600">{_e(head)}</text>',
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end">{peak}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end">0</text>',
    ]
    for i, ((low, high), count) in enumerate(zip(_BINS, counts, strict=True)):
        colour = _GREEN if high is not None and high <= 14 else _AMBER if high else _RED
        h = plot_h * count / peak
        x = left + i * bar_w
        tip = _msg("report.bin_days", lang, bin=_bin_label(low, high), count=count)
        body.append(
            f'<rect class="bar" data-bin="{_bin_label(low, high)}" data-count="{count}" '
            f'x="{x + 1:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 2:.1f}" '
            f'height="{h:.1f}" fill="{colour}"><title>{_e(tip)}</title></rect>'
        )
        if i % 2 == 0 or high is None:
            body.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 14}" '
                f'text-anchor="middle">{low if high is None else high}{"+" if high is None else ""}'
                "</text>"
            )
    for days, key in ((14, "report.limit_14"), (91, "report.limit_3mo")):
        x = left + bar_w * (2 if days == 14 else 13)
        body.append(
            f'<line class="limit" data-limit-days="{days}" x1="{x:.1f}" y1="{top - 8}" '
            f'x2="{x:.1f}" y2="{top + plot_h}" stroke="{_INK}" stroke-dasharray="4 3"/>'
            f'<text x="{x:.1f}" y="{top - 12}" text-anchor="middle">{_e(_msg(key, lang))}</text>'
        )
    body.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle">'
        f"{_e(_msg('report.chart_waiting_axis', lang))}</text>"
    )
    title = _msg("report.chart_waiting", lang, service=name)
    return _svg(
        width,
        height,
        title,
        {
            "chart": "waiting-distribution",
            "service": service,
            "care-started": str(row.care_started),
        },
        body,
    )


def _month_chart(clock: str, rows: Sequence[ReportRow], months: Sequence[str], lang: str) -> str:
    """Bars: share of the clock's decided clocks on time by law, per month of start;
    a diamond marks the share on the regional target where there is one."""
    by_month = {r.values["month"]: r for r in rows}
    width = max(300, 60 + 46 * len(months))
    height, left, top, bottom = 230, 40, 36, 44
    plot_h = height - top - bottom
    slot = (width - left - 10) / max(1, len(months))
    body = [f'<text x="{left}" y="14" font-weight="600">{_e(clock)}</text>']
    for pct in (0, 50, 100):
        y = top + plot_h * (1 - pct / 100)
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" '
            f'stroke="{"#9aa5b1" if pct == 0 else "#e4e7eb"}"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{pct} %</text>'
        )
    for i, month in enumerate(months):
        x = left + i * slot
        body.append(
            f'<text x="{x + slot / 2:.1f}" y="{top + plot_h + 14}" text-anchor="middle">'
            f"{_e(month)}</text>"
        )
        row = by_month.get(month)
        share = None if row is None else row.on_time_share
        if row is None or share is None:
            continue
        decided = row.met + row.breached + row.open_past_due
        h = plot_h * share
        colour = _GREEN if share >= 0.9 else _AMBER if share >= 0.5 else _RED
        tip = _msg("report.month_bar", lang, month=month, share=percent(share), decided=decided)
        body.append(
            f'<rect class="bar" data-month="{_e(month)}" data-measure="law" '
            f'data-share="{share:.4f}" data-decided="{decided}" x="{x + slot * 0.2:.1f}" '
            f'y="{top + plot_h - h:.1f}" width="{slot * 0.6:.1f}" height="{h:.1f}" '
            f'fill="{colour}"><title>{_e(tip)}</title></rect>'
            f'<text x="{x + slot / 2:.1f}" y="{top + plot_h - h - 3:.1f}" '
            f'text-anchor="middle">{100 * share:.0f}%</text>'
            f'<text x="{x + slot / 2:.1f}" y="{top + plot_h + 27}" text-anchor="middle" '
            f'fill="#52606d">n={decided}</text>'
        )
        target = row.target_share
        if target is not None:
            cx, cy = x + slot / 2, top + plot_h * (1 - target)
            tip = _msg("report.month_target", lang, month=month, share=percent(target))
            body.append(
                f'<path class="target" data-month="{_e(month)}" data-measure="target" '
                f'data-share="{target:.4f}" d="M{cx:.1f} {cy - 5:.1f} L{cx + 5:.1f} {cy:.1f} '
                f'L{cx:.1f} {cy + 5:.1f} L{cx - 5:.1f} {cy:.1f} Z" fill="{_INK}">'
                f"<title>{_e(tip)}</title></path>"
            )
    title = _msg("report.chart_month", lang, clock=clock)
    return _svg(width, height, title, {"chart": "on-time-by-month", "clock": clock}, body)


def _outcome_chart(rows: Sequence[ReportRow], names: Mapping[str, str], lang: str) -> str:
    """Horizontal stacked bars: the outcome of every clock, per service."""
    label_w, bar_w, row_h, top = 190, 560, 26, 8
    width, height = label_w + bar_w + 60, top + row_h * len(rows) + 8
    body = []
    for i, row in enumerate(rows):
        service = row.values["service"]
        name = names.get(service, service)
        y = top + i * row_h
        body.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{_e(name)}</text>')
        x = float(label_w)
        for outcome, _, colour in _OUTCOMES:
            count = getattr(row, outcome)
            if not count:
                continue
            w = bar_w * count / max(1, row.clocks)
            said = _msg(f"outcome.{outcome}", lang)
            body.append(
                f'<rect class="bar" data-service="{_e(service)}" data-outcome="{outcome}" '
                f'data-count="{count}" x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="18" '
                f'fill="{colour}"><title>{_e(name)}: {count} {_e(said)}</title></rect>'
            )
            x += w
        body.append(f'<text x="{label_w + bar_w + 6}" y="{y + 15}">{row.clocks}</text>')
    title = _msg("report.chart_outcome", lang)
    return _svg(width, height, title, {"chart": "outcomes-by-service"}, body)


def _tile(value: str, label: str) -> str:
    return f'<div class="tile"><b>{_e(value)}</b><span>{_e(label)}</span></div>'


def place_name(report: Report, dimension: str, value: str, lang: str) -> str:
    """A unit or municipality as people read it: its name where the report has one,
    ``none`` and ``other`` in words, else the code."""
    if value in (NO_PLACE, OTHER_PLACE) and value not in report.place_names.get(dimension, {}):
        return _msg(f"place.{value}", lang)
    return report.place_names.get(dimension, {}).get(value, value)


def _shown(report: Report, dimension: str, value: str, names: Mapping[str, str], lang: str) -> str:
    """A dimension's value as the page shows it: a service, unit or municipality by its
    name."""
    if dimension == "service":
        return names.get(value, value)
    if dimension in PLACE_DIMENSIONS:
        return place_name(report, dimension, value, lang)
    return value


def _html_table(report: Report, names: Mapping[str, str], lang: str) -> str:
    dimensions = report.by or ("",)
    columns = columns_in(lang)
    head = "".join(
        f'<th class="k">{_e(_msg(f"dim.{d}", lang) if d else "")}</th>' for d in dimensions
    ) + "".join(f'<th title="{_e(long)}">{_e(short)}</th>' for short, long, _ in columns)
    everything = _msg("report.all", lang)
    hidden = _e(_msg("report.hidden", lang))
    lines = []
    for row, css in [*((r, "") for r in report.rows), (report.total, ' class="total"')]:
        if css:
            keys = [everything for _ in dimensions]
        else:
            keys = [_shown(report, d, v, names, lang) for d, v in row.values.items()]
        cells = "".join(f'<td class="k">{_e(k)}</td>' for k in keys)
        if row.suppressed:
            cells += f'<td class="hidden" colspan="{len(columns)}">{hidden}</td>'
        else:
            cells += "".join(f"<td>{_e(cell(row))}</td>" for _, _, cell in columns)
        row_css = ' class="suppressed"' if row.suppressed else css
        lines.append(f"<tr{row_css}>{cells}</tr>")
    return (
        f'<table class="groups"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(lines)}</tbody></table>"
    )


def _breach_table(report: Report, names: Mapping[str, str], lang: str) -> str:
    shown = report.breaches[:_HTML_BREACHES]
    still_open = _e(_msg("report.still_open", lang))
    rows = "".join(
        "<tr>"
        + "".join(
            f'<td class="k">{_e(v)}</td>'
            for v in (
                b.contact_id,
                b.clock,
                names.get(b.service, b.service),
                b.age_group,
                b.started_on,
                b.due_date,
            )
        )
        + f'<td class="k">{still_open if b.stopped_on is None else _e(b.stopped_on)}</td>'
        + f"<td>{b.days_over}</td></tr>"
        for b in shown
    )
    more = len(report.breaches) - len(shown)
    # The message holds markup (<code>), and only a number is put into it.
    note = f'<p class="note">{_msg("report.more_breaches", lang, more=more)}</p>' if more else ""
    head = "".join(
        f'<th class="k">{_e(_msg(key, lang))}</th>'
        for key in (
            "col.contact",
            "dim.clock",
            "dim.service",
            "col.age_group",
            "col.started",
            "col.due",
            "col.stopped",
        )
    )
    return (
        f'<table class="breaches"><thead><tr>{head}<th>{_e(_msg("report.days_over", lang))}'
        f"</th></tr></thead><tbody>{rows}</tbody></table>{note}"
    )


def _counts_rows(groups: Iterable[tuple[str, str, OverrideCounts]]) -> str:
    return "".join(
        f'<tr data-key="{_e(key)}"><td class="k">{_e(shown)}</td><td>{c.suggested}</td>'
        f"<td>{c.accepted}</td><td>{c.overridden}</td><td>{c.unanswered}</td>"
        f"<td>{_e(rate_text(c))}</td></tr>"
        for key, shown, c in groups
    )


def _overrides_section(found: Overrides | None, lang: str) -> str:
    """The section of professionals' overrides: per rule, per urgency, the reasons and
    the contacts where they most often disagreed (nothing without one)."""
    if found is None:
        return ""

    def m(key: str, **values: object) -> str:
        return _e(_msg(key, lang, **values))

    def table(css: str, head: str, groups: list[tuple[str, str, OverrideCounts]]) -> str:
        cols = "".join(
            f"<th>{m(f'overrides.col.{c}')}</th>"
            for c in ("suggested", "accepted", "overridden", "unanswered", "rate")
        )
        return (
            f'<table class="{css}"><thead><tr><th class="k">{m(head)}</th>{cols}</tr></thead>'
            f"<tbody>{_counts_rows(groups)}</tbody></table>"
        )

    answered, quiet = answered_rules(found)
    rules = [(k, k, c) for k, c in answered]
    if found.defaults.suggested:
        rules.append(("", _msg("overrides.default", lang), found.defaults))
    urgencies = [(k, urgency_name(k, lang), c) for k, c in found.by_urgency.items()]
    reasons = "".join(
        f'<li data-reason="{_e(k)}">{_e(reason_name(k, lang))}: {n}</li>'
        for k, n in found.total.reasons.items()
    )
    contacts = "".join(
        f'<tr><td class="k">{_e(c.contact_id)}</td><td class="k">'
        f"{_e(urgency_name(c.urgency, lang))}</td><td>{c.overridden}</td>"
        f'<td>{c.suggested}</td><td class="k">{_e(" ".join(c.rules) or "-")}</td></tr>'
        for c in found.disagreed
    )
    contact_head = "".join(
        f"<th>{m(f'overrides.col.{c}')}</th>"
        for c in ("contact", "urgency", "overridden", "suggested", "rules")
    )
    return f"""<h2 id="overrides">{m("overrides.h_section")}</h2>
<p class="note">{m("overrides.contacts", contacts=found.contacts, without=found.without_suggestions)};
{m("overrides.total", rate=rate_text(found.total), suggested=found.total.suggested)}.</p>
<h3>{m("overrides.h_rule")}</h3>
{table("overrides-rules", "overrides.col.rule", rules)}
{f'<p class="note">{m("overrides.quiet_rules", count=quiet)}</p>' if quiet else ""}
<h3>{m("overrides.h_urgency")}</h3>
{table("overrides-urgency", "overrides.col.urgency", urgencies)}
<h3>{m("overrides.h_reasons")}</h3>
<ul class="reasons">{reasons or f"<li>{m('overrides.none')}</li>"}</ul>
<h3>{m("overrides.h_contacts", count=len(found.disagreed))}</h3>
<table class="overrides-contacts"><thead><tr>{contact_head}</tr></thead><tbody>{contacts}</tbody></table>
<p class="note">{m("overrides.note")}</p>"""


def render_html(report: Report, lang: str = "en") -> str:
    """The page of *report* in *lang* (fi, sv or en, already read as one)."""
    total = report.total
    names = {sid: name.get(lang) for sid, name in report.service_names.items()}
    by_service = report.group(["service"])
    waiting = [
        _waiting_chart(
            row.values["service"],
            names.get(row.values["service"], row.values["service"]),
            row,
            lang,
        )
        for row in by_service
        if row.care_started
    ]
    by_clock_month = report.group(["clock", "month"])
    months = sorted({r.values["month"] for r in by_clock_month})
    clocks = sorted({r.values["clock"] for r in by_clock_month if r.on_time_share is not None})
    month_charts = [
        _month_chart(c, [r for r in by_clock_month if r.values["clock"] == c], months, lang)
        for c in clocks
    ]
    still = sum(b.still_open for b in report.breaches)

    def m(key: str, **values: object) -> str:
        return _e(_msg(key, lang, **values))

    tiles = [
        _tile(str(total.clocks), _msg("report.tile_clocks", lang)),
        _tile(percent(total.on_time_share), _msg("report.tile_on_time", lang)),
        _tile(percent(total.within_14_days_share), _msg("report.tile_14", lang)),
        _tile(percent(total.within_3_months_share), _msg("report.tile_3mo", lang)),
        _tile(
            _msg(
                "report.days_short",
                lang,
                n=f"{number(total.waiting_days_median)} / {number(total.waiting_days_p90)}",
            ),
            _msg("report.tile_wait", lang),
        ),
        _tile(str(total.open_past_due), _msg("report.tile_past_due", lang)),
        _tile(str(total.declined), _msg("report.tile_declined", lang)),
    ]
    if total.target_clocks:
        tiles.insert(2, _tile(percent(total.target_share), _msg("report.tile_target", lang)))
    legend = "".join(
        f'<span><i style="background:{colour}"></i>{m(f"outcome.{outcome}")}</span>'
        for outcome, _, colour in _OUTCOMES
    )

    def empty(key: str) -> str:
        return f'<p class="note">{m("report.empty", what=_msg(key, lang))}</p>'

    span = period_span(report, lang)
    title = _msg("report.title", lang, span=span)
    by = ", ".join(_msg(f"dim.{d}", lang) for d in report.by) or _msg("report.total", lang)
    columns = columns_in(lang)
    placed = any(d in PLACE_DIMENSIONS for d in report.by)
    lead = _msg("report.lead", lang, span=span, as_of=f"{report.as_of:%Y-%m-%d %H:%M}")
    outcome_chart = (
        _outcome_chart(by_service, names, lang) if by_service else empty("report.empty_clocks")
    )
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title><style>{_CSS}</style></head>
<body><main>
<h1>{_e(title)}</h1>
<p class="lead">{_e(lead)}</p>
<div class="tiles">{"".join(tiles)}</div>

<h2>{m("report.h_waiting")}</h2>
<p class="note">{m("report.note_waiting")}</p>
<div class="grid">{"".join(f"<figure>{c}</figure>" for c in waiting) or empty("report.empty_care")}</div>

<h2>{m("report.h_month")}</h2>
<p class="note">{m("report.note_month")}</p>
<div class="grid">{"".join(f"<figure>{c}</figure>" for c in month_charts) or empty("report.empty_decided")}</div>

<h2>{m("report.h_outcome")}</h2>
<figure><div class="legend">{legend}</div>{outcome_chart}</figure>

<h2>{m("report.h_figures", by=by)}</h2>
{_html_table(report, names, lang)}
<p class="note">{_e("; ".join(f"{s} = {long}" for s, long, _ in columns))}.</p>
{f'<p class="note small-cells">{m("report.note_small", min=MIN_CELL)}</p>' if placed else ""}

<h2>{m("report.h_breaches", count=len(report.breaches), still=still)}</h2>
{_breach_table(report, names, lang)}
<p class="note">{m("report.note_end")}</p>
{_overrides_section(report.overrides, lang)}
</main></body></html>
"""
