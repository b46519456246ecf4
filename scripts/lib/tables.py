"""One table model, three renderings (Markdown, CSV, HTML).

scripts/compare builds its tables once as `Table`s and renders them in the
format asked for, so the three formats can never disagree about a number.
"""

from __future__ import annotations

import csv
import html
import io
from dataclasses import dataclass, field


@dataclass
class Cell:
    text: str
    best: bool = False  # the fastest/smallest in its row: bold / <strong>
    css: str = ""  # html class: "regression", "improvement", "noise", "missing"


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def format_ns(ns: float | None) -> str:
    if ns is None:
        return "-"
    if ns >= 1e9:  # whole programs: "1.42 s", not "1.42e+03 ms"
        return f"{ns / 1e9:.3g} s"
    if ns >= 1e6:
        return f"{ns / 1e6:.3g} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.3g} us"
    return f"{ns:.3g}"


def format_bytes(n: float | None) -> str:
    if n is None:
        return "-"
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} B"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def to_markdown(title: str, preamble: list[str], tables: list[Table]) -> str:
    out = [f"# {title}", ""]
    out += [line + "  " for line in preamble]
    for t in tables:
        out += ["", f"## {t.title}", ""]
        out.append("| " + " | ".join(_md_escape(h) for h in t.header) + " |")
        out.append("|" + "|".join([":---"] + ["---:"] * (len(t.header) - 1)) + "|")
        for row in t.rows:
            cells = [f"**{_md_escape(c.text)}**" if c.best else _md_escape(c.text) for c in row]
            out.append("| " + " | ".join(cells) + " |")
        if t.notes:
            out.append("")
            out += [f"{n}  " for n in t.notes]
    return "\n".join(out) + "\n"


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
th { background: #f0f0f0; }
td.best { background: #e3f4e3; font-weight: bold; }
td.regression { background: #fbe0e0; }
td.improvement { background: #e0ecfb; }
td.missing, td.noise { color: #888; }
p.note { color: #555; font-size: 90%; margin: 0.2em 0; }
p.machine { font-family: monospace; }
"""


def to_html(title: str, preamble: list[str], tables: list[Table]) -> str:
    e = html.escape
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{e(title)}</title><style>{_CSS}</style></head><body>", f"<h1>{e(title)}</h1>"]
    out += [f'<p class="machine">{e(line)}</p>' for line in preamble]
    for t in tables:
        out.append(f"<h2>{e(t.title)}</h2><table><thead><tr>")
        out += [f"<th>{e(h)}</th>" for h in t.header]
        out.append("</tr></thead><tbody>")
        for row in t.rows:
            out.append("<tr>")
            for c in row:
                classes = " ".join(x for x in ("best" if c.best else "", c.css) if x)
                attr = f' class="{classes}"' if classes else ""
                out.append(f"<td{attr}>{e(c.text)}</td>")
            out.append("</tr>")
        out.append("</tbody></table>")
        out += [f'<p class="note">{e(n)}</p>' for n in t.notes]
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def to_csv(header: list[str], records: list[list]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in records:
        w.writerow(["" if v is None else v for v in r])
    return buf.getvalue()
