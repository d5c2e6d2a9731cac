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


# ------------------------------------------------------------------------------------------ lint, asn1, prove
# Views for csrlearn.lint (Findings), csrlearn.asn1 (ByteMap) and csrlearn.prove (Proof).

_SEVERITY_STYLE = {"error": ("#b00020", "✖"), "warning": ("#b35c00", "▲"), "info": ("#0072B2", "ℹ")}


def findings_text(findings: Any, *, title: str | None = None) -> str:
    """Lint findings for a terminal: one block per finding, errors first; ``OK`` when there are none."""
    lines = [title] if title else []
    if not findings:
        lines.append("no findings: a public CA should accept this CSR")
        return "\n".join(lines)
    for f in findings:
        lines.append(f"{f.severity.upper():7} {f.code}: {f.message}")
        lines.append(f"        why: {f.why}")
        lines.append(f"        fix: {f.fix}")
    lines.append(findings.summary())
    return "\n".join(lines)


def findings_html(findings: Any, *, title: str | None = None) -> str:
    """Lint findings as a table: severity (coloured), code, what is wrong, why it matters, how to fix it."""
    parts = [_STYLE]
    if title:
        parts.append(f"<div style='font-weight:bold;margin:4px 0'>{esc(title)}</div>")
    if not findings:
        parts.append("<div class='csrlearn-good'>✔ no findings: a public CA should accept this CSR</div>")
        return "".join(parts)
    parts.append("<table class='csrlearn-table'><tr><th>severity</th><th>code</th><th>finding</th><th>why it matters</th>"
                 "<th>how to fix it</th></tr>")
    for f in findings:
        colour, mark = _SEVERITY_STYLE.get(f.severity, ("#333", "•"))
        parts.append(f"<tr><td style='color:{colour};font-weight:bold;white-space:nowrap'>{mark} {esc(f.severity)}</td>"
                     f"<td class='csrlearn-mono' style='white-space:nowrap'>{esc(f.code)}</td><td>{esc(f.message)}</td>"
                     f"<td>{esc(f.why)}</td><td>{esc(f.fix)}</td></tr>")
    parts.append("</table>")
    return "".join(parts)


def _tint(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _bytemap_sections(m: Any) -> tuple[list[int | None], list[int]]:
    """Which coloured section each node belongs to, and the node index that starts each section.

    Sections are the top-level fields (version, subject, public key, attributes, signature...); the
    certificationRequestInfo / tbsCertificate wrapper is opened so its fields get their own colours.
    """
    parents = m.parents()
    expand = {i for i, n in enumerate(m.nodes) if n.depth == 1 and n.name in ("certificationRequestInfo", "tbsCertificate")}
    section: list[int | None] = [None] * len(m.nodes)
    starts: list[int] = []
    for i, n in enumerate(m.nodes):
        p = parents[i]
        if (n.depth == 1 and i not in expand) or (n.depth == 2 and p in expand):
            starts.append(i)
            section[i] = len(starts) - 1
        elif p is not None:
            section[i] = section[p]
    return section, starts


def _node_label(n: Any) -> str:
    return f"{n.name} ({n.tag})" if n.name else n.tag


def bytemap_text(m: Any) -> str:
    """An indented tree like ``openssl asn1parse -i``: offset, header+content length, field name, type, value."""
    kind = m.kind.replace("_", " ")
    lines = [f"{kind} — {len(m.der)} bytes of DER, {len(m.nodes)} ASN.1 elements" + (f" ({m.source})" if m.source else ""),
             "offset  hdr+len    field (type) = value"]
    for n in m.nodes:
        value = f" = {n.value}" if n.value else ""
        lines.append(f"{n.offset:6}  {n.header_length:>3}+{n.length:<6} {'  ' * n.depth}{_node_label(n)}{value}")
    return "\n".join(lines)


_BYTEMAP_STYLE = ("<style>.csrlearn-hex{font-family:monospace;font-size:12px;border-collapse:collapse}"
                  ".csrlearn-hex td{padding:1px 4px;vertical-align:top;border-bottom:1px solid #eee}"
                  ".csrlearn-hex .hdr{font-weight:bold;text-decoration:underline}"
                  ".csrlearn-hexdump{font-family:monospace;font-size:12px;line-height:1.6;white-space:pre}"
                  ".csrlearn-hexdump span{border-radius:2px}</style>")


def bytemap_html(m: Any, *, max_nodes: int = 600, max_bytes: int = 8192) -> str:
    """The byte map for notebooks: a legend, a field-by-field table with each field's bytes, and a hex dump.

    Colours mark the top-level sections (subject, public key, signature...); bold underlined bytes are
    tag and length headers; hovering a byte in the hex dump names the field it belongs to. Secret
    private-key bytes are masked with ``••``.
    """
    section, starts = _bytemap_sections(m)
    parents = m.parents()
    paths: list[str] = []
    for i, n in enumerate(m.nodes):
        p = parents[i]
        paths.append((paths[p] + " › " if p is not None else "") + (n.name or n.tag))

    def colour(i: int, alpha: float) -> str:
        s = section[i]
        return _tint(PALETTE[s % len(PALETTE)], alpha) if s is not None else "rgba(150,150,150,%s)" % alpha

    kind = m.kind.replace("_", " ")
    parts = [_STYLE, _BYTEMAP_STYLE,
             f"<div style='font-weight:bold;margin:4px 0'>{esc(kind.capitalize())} — {len(m.der)} bytes of DER, "
             f"{len(m.nodes)} ASN.1 elements{' — ' + esc(m.source) if m.source else ''}</div>",
             "<div style='margin:4px 0'>"]
    for k, i in enumerate(starts):
        parts.append(f"<span style='background:{colour(i, 0.35)};padding:1px 6px;margin-right:4px;border-radius:3px'>"
                     f"{esc(m.nodes[i].name or m.nodes[i].tag)}</span>")
    parts.append("</div><div style='font-size:12px;color:#555'>Each element is a Tag byte, a Length, then its content. "
                 "<b><u>Bold underlined</u></b> bytes are tag and length headers; the rest is content.</div>")

    # 1. field by field: every element with its own bytes (a container shows only its header)
    parts.append("<table class='csrlearn-hex'><tr><th>offset</th><th>bytes</th><th>field</th><th>value</th></tr>")
    for i, n in enumerate(m.nodes[:max_nodes]):
        hdr = m.der[n.offset:n.offset + n.header_length].hex(" ").upper()
        if n.has_children:
            body = f"<span style='color:#777'>… {n.length} bytes below</span>"
        elif n.secret:
            body = f"{'•• ' * min(n.length, 8)}<span style='color:#777'>({n.length} secret bytes not shown)</span>"
        else:
            content = m.der[n.content_offset:n.end]
            body = esc(content[:24].hex(" ").upper()) + (f" <span style='color:#777'>… +{len(content) - 24}</span>"
                                                        if len(content) > 24 else "")
        hdr_html = f"<span class='hdr'>{esc(hdr)}</span> " if hdr else ""
        parts.append(f"<tr><td>{n.offset}</td><td style='background:{colour(i, 0.22)}'>{hdr_html}{body}</td>"
                     f"<td style='padding-left:{4 + 14 * n.depth}px;white-space:nowrap'><b>{esc(n.name)}</b> "
                     f"<span style='color:#666'>{esc(n.tag)}</span></td><td>{esc(n.value)}</td></tr>")
    parts.append("</table>")
    if len(m.nodes) > max_nodes:
        parts.append(f"<div>… {len(m.nodes) - max_nodes} more elements not shown</div>")

    # 2. the hex dump: 16 bytes a line, each run of bytes coloured by its field, with a tooltip naming it
    owner = [0] * len(m.der)
    is_header = [False] * len(m.der)
    for i, n in enumerate(m.nodes):
        for b in range(n.offset, n.content_offset):
            owner[b], is_header[b] = i, True
        if not n.has_children:
            for b in range(n.content_offset, n.end):
                owner[b] = i
    shown = min(len(m.der), max_bytes)
    lines = []
    for row in range(0, shown, 16):
        cells, text = [], []
        b = row
        while b < min(row + 16, shown):
            i, hdr = owner[b], is_header[b]
            run_end = b
            while run_end < min(row + 16, shown) and owner[run_end] == i and is_header[run_end] == hdr:
                run_end += 1
            n = m.nodes[i]
            secret = n.secret and not hdr
            hexes = " ".join("••" if secret else f"{x:02X}" for x in m.der[b:run_end])
            chars = "".join("•" if secret else (chr(x) if 32 <= x < 127 else ".") for x in m.der[b:run_end])
            tip = esc(f"{n.offset}: {paths[i]} ({n.tag}){' header' if hdr else ''}"
                      + (f" = {n.value}" if n.value and not hdr else ""))
            style = f"background:{colour(i, 0.45 if hdr else 0.22)}" + (";font-weight:bold;text-decoration:underline"
                                                                        if hdr else "")
            cells.append(f"<span title='{tip}' style='{style}'>{hexes}</span>")
            text.append(f"<span title='{tip}' style='background:{colour(i, 0.22)}'>{esc(chars)}</span>")
            b = run_end
        pad = "   " * (16 - (min(row + 16, shown) - row))
        lines.append(f"{row:06X}  {' '.join(cells)}{pad}  {''.join(text)}")
    parts.append("<details open><summary>hex dump (hover a byte to see its field)</summary>"
                 f"<div class='csrlearn-hexdump'>{chr(10).join(lines)}</div></details>")
    if len(m.der) > shown:
        parts.append(f"<div>… {len(m.der) - shown} more bytes not shown</div>")
    return "".join(parts)


def proof_text(proof: Any) -> str:
    """One verdict line and the facts behind it."""
    head = "PROVEN: " if proof.ok else "NOT PROVEN: "
    lines = [head + proof.reason]
    for k, v in proof.rows():
        lines.append(f"  {k}: {v}")
    return "\n".join(lines)


def proof_html(proof: Any) -> str:
    cls, head = ("csrlearn-good", "✔ PROVEN") if proof.ok else ("csrlearn-bad", "✖ NOT PROVEN")
    return (f"<div class='{cls}' style='font-size:15px;margin:4px 0'>{head}</div>"
            f"<div style='margin:4px 0'>{esc(proof.reason)}</div>"
            + html_table([(k, f"<span class='csrlearn-mono'>{esc(v)}</span>" if "SHA-256" in k or "challenge" in k
                           else esc(v)) for k, v in proof.rows()], raw=True))
