"""Views of results: plain-text tables for terminals and HTML for notebooks. No logic lives here.

Logic modules hand their results to these functions (imported inside ``__str__``/``_repr_html_``), so
the logic stays free of presentation and the notebook shows a readable table with no extra code.
"""
from __future__ import annotations

import html
from typing import Any, Iterable

__all__ = ["text_table", "info_html", "html_table", "match_text", "match_html", "moduli_html", "PALETTE"]

# Colour per group in match views; enough distinct, colour-blind-friendly hues (Okabe–Ito).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999")

_STYLE = ("<style>.csrlearn-table{border-collapse:collapse;font-family:system-ui,sans-serif;font-size:13px}"
          ".csrlearn-table th,.csrlearn-table td{border:1px solid #ccc;padding:3px 8px;text-align:left;"
          "vertical-align:top}.csrlearn-table th{background:#f3f3f3}.csrlearn-mono{font-family:monospace;"
          "word-break:break-all}.csrlearn-bad{color:#b00020;font-weight:bold}.csrlearn-good{color:#1b7f3b;"
          "font-weight:bold}</style>")


def text_table(title: str, rows: Iterable[tuple[str, str]]) -> str:
    rows = list(rows)
    width = max((len(k) for k, _ in rows), default=0)
    lines = [title, "-" * len(title)] + [f"{k.ljust(width)}  {v}" for k, v in rows]
    return "\n".join(lines)


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def html_table(rows: Iterable[tuple[str, Any]], *, title: str | None = None, header: tuple[str, ...] | None = None,
               raw: bool = False) -> str:
    """A two-or-more-column HTML table; cells are escaped unless ``raw``."""
    cell = (lambda v: str(v)) if raw else esc
    parts = [_STYLE, '<table class="csrlearn-table">']
    if title:
        parts.append(f"<caption style='text-align:left;font-weight:bold'>{esc(title)}</caption>")
    if header:
        parts.append("<tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr>")
    for row in rows:
        first, *rest = row
        parts.append(f"<tr><th>{esc(first)}</th>" + "".join(f"<td>{cell(v)}</td>" for v in rest) + "</tr>")
    parts.append("</table>")
    return "".join(parts)


def info_html(info: Any) -> str:
    """A describe() result as a field/value table; fingerprints in monospace, bad signatures in red."""
    rows = []
    for k, v in info.rows():
        if "SHA-256" in k or "MD5" in k:
            v = f"<span class='csrlearn-mono'>{esc(v)}</span>"
        elif v.startswith("INVALID"):
            v = f"<span class='csrlearn-bad'>{esc(v)}</span>"
        elif k == "Signature" and v == "valid":
            v = "<span class='csrlearn-good'>valid</span>"
        else:
            v = esc(v)
        rows.append((k, v))
    return html_table(rows, title=info.title(), raw=True)


def match_text(report: Any) -> str:
    verdict = {"match": "MATCH: all items share one public key",
               "mismatch": f"MISMATCH: {len(report.groups)} different public keys",
               "error": "ERROR: not every file could be read"}[report.verdict]
    lines = [verdict]
    for n, g in enumerate(report.groups, 1):
        lines.append(f"group {n}: {g.key}  SPKI SHA-256 {g.spki_sha256}")
        for e in g.items:
            md5 = f"  modulus md5 {e.modulus_md5}" if e.modulus_md5 else ""
            lines.append(f"  {e.name}  {e.kind.replace('_', ' ')}{md5}")
    for e in report.chain:
        lines.append(f"chain: {e.name}  certificate {e.subject}")
    for x in report.explanations:
        lines.append(f"why: {x}")
    for x in report.notes:
        lines.append(f"note: {x}")
    for f, r in report.skipped:
        lines.append(f"skipped: {f}: {r}")
    for f, r in report.errors:
        lines.append(f"error: {r}")
    return "\n".join(lines)


def match_html(report: Any) -> str:
    """The match matrix: one row per item, one coloured column per public key."""
    colour = {"match": "csrlearn-good", "mismatch": "csrlearn-bad", "error": "csrlearn-bad"}[report.verdict]
    parts = [_STYLE, f"<div class='{colour}' style='font-size:15px;margin:4px 0'>"
             f"{esc(report.verdict.upper())}: {len(report.groups)} public key(s), {len(report.entries)} item(s)</div>"]
    header = "".join(
        f"<th style='background:{PALETTE[i % len(PALETTE)]};color:white'>key {i + 1}<br>"
        f"<span class='csrlearn-mono'>{esc(str(g.key))} {esc(g.spki_sha256[:12])}…</span></th>"
        for i, g in enumerate(report.groups))
    parts.append(f"<table class='csrlearn-table'><tr><th>item</th><th>kind</th><th>modulus md5</th>{header}</tr>")
    for i, g in enumerate(report.groups):
        for e in g.items:
            cells = "".join(
                f"<td style='background:{PALETTE[i % len(PALETTE)]};color:white;text-align:center'>●</td>"
                if j == i else "<td></td>" for j in range(len(report.groups)))
            parts.append(f"<tr><td>{esc(e.name)}</td><td>{esc(e.kind.replace('_', ' '))}</td>"
                         f"<td class='csrlearn-mono'>{esc(e.modulus_md5 or '—')}</td>{cells}</tr>")
    parts.append("</table>")
    for title, values in (("Why", report.explanations), ("Note", report.notes)):
        if values:
            parts.append("<ul>" + "".join(f"<li><b>{title}:</b> {esc(v)}</li>" for v in values) + "</ul>")
    if report.skipped or report.errors:
        parts.append("<ul>" + "".join(f"<li>skipped {esc(f)}: {esc(r)}</li>" for f, r in report.skipped)
                     + "".join(f"<li class='csrlearn-bad'>{esc(r)}</li>" for _, r in report.errors) + "</ul>")
    return "".join(parts)


def moduli_html(report: Any, *, width: int = 32, limit: int = 6) -> str:
    """RSA moduli side by side: one column per distinct modulus, coloured like its key in the match matrix.

    The modulus n is the public number a key shares with its CSRs and certificates, so every item of a
    column belongs to one key pair; two columns differ almost from the first digit. Empty without RSA items.
    """
    cols = [(i, g) for i, g in enumerate(report.groups) if any(e.modulus_hex for e in g.items)]
    if not cols:
        return ""
    shown = cols[:limit]
    head = "".join(f"<th style='border-top:4px solid {PALETTE[i % len(PALETTE)]}'>key {i + 1} · {esc(g.key)}</th>"
                   for i, g in shown)
    items = "".join("<td>" + "<br>".join(esc(e.label) for e in g.items) + "</td>" for _, g in shown)
    body = "".join(
        f"<td class='csrlearn-mono' style='white-space:pre;border-left:4px solid {PALETTE[i % len(PALETTE)]}'>"
        + esc("\n".join(h[k:k + width] for k in range(0, len(h), width))) + "</td>"
        for i, g in shown for h in [next(e.modulus_hex for e in g.items if e.modulus_hex)])
    md5 = "".join(f"<td class='csrlearn-mono'>{esc(next(e.modulus_md5 for e in g.items if e.modulus_md5))}</td>"
                  for _, g in shown)
    verdict = ("<div class='csrlearn-good'>one modulus: every RSA item here is the same key pair</div>"
               if len(cols) == 1 else
               f"<div class='csrlearn-bad'>{len(cols)} different moduli: {len(cols)} different RSA key pairs</div>")
    more = f"<div>only the first {limit} of {len(cols)} moduli are shown</div>" if len(cols) > limit else ""
    return (_STYLE + "<div style='font-weight:bold;margin:8px 0 2px'>RSA moduli side by side "
            "(what openssl … -noout -modulus prints after Modulus=)</div>" + verdict
            + "<div style='overflow-x:auto'><table class='csrlearn-table'>"
            f"<tr><th></th>{head}</tr><tr><th>items</th>{items}</tr><tr><th>Modulus=</th>{body}</tr>"
            f"<tr><th>| openssl md5</th>{md5}</tr></table></div>" + more)
