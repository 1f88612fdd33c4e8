#!/usr/bin/python3
"""Turns neuvo-load's CSV into the table of docs/capacity.md and an SVG plot.

    report.py LADDER.csv [FSYNC.csv] [--table OUT.md] [--svg OUT.svg]

The table (Markdown) is printed and, with --table, written too. The plot
shows echo latency (p50 solid, p99 dashed, log scale) against offered load
for every server in the CSV (neuvo, the Node relay, the raw lws echo
server), with the fsync floor as a line when FSYNC.csv is given. The SVG is
written by hand: no plotting package is needed, only Python's standard
library.
"""
import argparse
import csv
import math
import sys
from xml.sax.saxutils import escape

COLOURS = {"neuvo": "#1f6feb", "node": "#d9480f", "echo": "#2f9e44"}
NAMES = {"neuvo": "neuvo", "node": "Node relay (ws + better-sqlite3)",
         "echo": "raw lws echo server"}
SHORT = {"neuvo": "neuvo", "node": "Node relay", "echo": "raw lws echo server"}


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def num(row, key):
    try:
        return float(row.get(key, "") or 0)
    except ValueError:
        return 0.0


def chat_table(rows):
    out = ["| server | residents | chatting | offered msgs/s | stored+echoed msgs/s "
           "| echo p50 / p99 ms | relay p50 / p99 ms | errors | refused "
           "| server CPU s | msgs per CPU-s | generator CPU | other load on the server's CPU |",
           "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        if r["mode"] == "idle":
            continue
        errors = r["errors"]
        if r["error_codes"]:
            errors += f" ({r['error_codes'].replace(';', ', ')})"
        unechoed = int(num(r, "unechoed"))
        if unechoed:
            errors += f", {unechoed} unechoed"
        chatting = f"{int(num(r, 'live_at_window')):,}"
        if num(r, "waiting_at_window") or num(r, "churned"):
            chatting += (f" (+{int(num(r, 'waiting_at_window')):,} waiting, "
                         f"{int(num(r, 'churned'))} takes)")
        if r["mode"] == "echo":
            relay = "–"
        elif not num(r, "relay_max_ms"):
            relay = "none relayed"
        else:
            relay = f"{num(r, 'relay_p50_ms'):.1f} / {num(r, 'relay_p99_ms'):.1f}"
        out.append(
            f"| {NAMES.get(r['label'], r['label'])} | {int(num(r, 'residents')):,} "
            f"| {chatting} | {num(r, 'offered_msgs_s'):,.0f} "
            f"| {num(r, 'echoed_msgs_s'):,.0f} "
            f"| {num(r, 'echo_p50_ms'):.1f} / {num(r, 'echo_p99_ms'):.1f} | {relay} "
            f"| {errors} | {int(num(r, 'refused'))} | {num(r, 'server_cpu_s'):.2f} "
            f"| {num(r, 'msgs_per_cpu_s'):,.0f} | {num(r, 'gen_cpu_pct'):.0f} % "
            f"| {num(r, 'others_on_server_cpu_pct'):.0f} % |")
    return out


def idle_table(rows):
    out = ["| server | residents | queued | server RSS MiB | KiB per queued resident |",
           "|---|---:|---:|---:|---:|"]
    for r in rows:
        if r["mode"] != "idle":
            continue
        out.append(
            f"| {NAMES.get(r['label'], r['label'])} | {int(num(r, 'residents')):,} "
            f"| {int(num(r, 'live_at_window')):,} | {num(r, 'server_rss_kib') / 1024:.1f} "
            f"| {num(r, 'rss_per_resident_kib'):.2f} |")
    return out


def fsync_line(path):
    if not path:
        return None, ""
    rows = read_rows(path)
    if not rows:
        return None, ""
    r = rows[0]
    return (num(r, "p50_ms"),
            f"fsync floor (4 KiB append + fdatasync, same disk): p50 "
            f"{num(r, 'p50_ms'):.3f} ms, p99 {num(r, 'p99_ms'):.3f} ms")


# ------------------------------------------------------------------- svg

W, H = 760, 440
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 40, 90


def nice_step(span):
    raw = span / 6
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def svg_plot(rows, floor_ms, floor_text):
    series = {}
    for r in rows:
        if r["mode"] == "idle" or num(r, "echo_p50_ms") <= 0:
            continue
        series.setdefault(r["label"], []).append(
            (num(r, "offered_msgs_s"), num(r, "echo_p50_ms"), num(r, "echo_p99_ms")))
    points = [p for s in series.values() for p in s]
    if not points:
        return None
    xmax = max(p[0] for p in points) * 1.05
    ys = [v for p in points for v in p[1:] if v > 0]
    if floor_ms:
        ys.append(floor_ms)
    ylo = 10 ** math.floor(math.log10(min(ys)))
    yhi = 10 ** math.ceil(math.log10(max(ys)))
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def px(x):
        return LEFT + pw * x / xmax

    def py(y):
        y = max(y, ylo)
        return TOP + ph * (1 - (math.log10(y) - math.log10(ylo)) /
                           (math.log10(yhi) - math.log10(ylo)))

    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
         f'viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">',
         f'<rect width="{W}" height="{H}" fill="white"/>',
         f'<text x="{W / 2}" y="22" text-anchor="middle" font-size="15">'
         'Echo latency against offered load (one core each: server, generator)</text>']
    step = nice_step(xmax)
    x = 0.0
    while x <= xmax:
        o.append(f'<line x1="{px(x):.1f}" y1="{TOP}" x2="{px(x):.1f}" y2="{TOP + ph}" '
                 'stroke="#eee"/>')
        o.append(f'<text x="{px(x):.1f}" y="{TOP + ph + 16}" text-anchor="middle">'
                 f'{x:,.0f}</text>')
        x += step
    y = ylo
    while y <= yhi * 1.001:
        o.append(f'<line x1="{LEFT}" y1="{py(y):.1f}" x2="{LEFT + pw}" y2="{py(y):.1f}" '
                 'stroke="#ddd"/>')
        label = f"{y:g}"
        o.append(f'<text x="{LEFT - 6}" y="{py(y) + 4:.1f}" text-anchor="end">{label}</text>')
        y *= 10
    o.append(f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" '
             'stroke="#333"/>')
    o.append(f'<text x="{LEFT + pw / 2}" y="{TOP + ph + 36}" text-anchor="middle">'
             'offered load, messages a second</text>')
    o.append(f'<text transform="translate(18 {TOP + ph / 2}) rotate(-90)" '
             'text-anchor="middle">echo latency, ms (log scale)</text>')
    if floor_ms:
        o.append(f'<line x1="{LEFT}" y1="{py(floor_ms):.1f}" x2="{LEFT + pw}" '
                 f'y2="{py(floor_ms):.1f}" stroke="#888" stroke-dasharray="2 3"/>')
    legend_y = TOP + ph + 56
    for i, (label, pts) in enumerate(sorted(series.items())):
        pts.sort()
        colour = COLOURS.get(label, "#555")
        for idx, dash in ((1, ""), (2, ' stroke-dasharray="6 4"')):
            path = " ".join(f"{px(p[0]):.1f},{py(p[idx]):.1f}" for p in pts)
            o.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                     f'stroke-width="2"{dash}/>')
        for p in pts:
            o.append(f'<circle cx="{px(p[0]):.1f}" cy="{py(p[1]):.1f}" r="3.5" '
                     f'fill="{colour}"/>')
        lx = LEFT + i * 240
        o.append(f'<line x1="{lx}" y1="{legend_y}" x2="{lx + 24}" y2="{legend_y}" '
                 f'stroke="{colour}" stroke-width="2"/>')
        o.append(f'<text x="{lx + 30}" y="{legend_y + 4}">'
                 f'{escape(SHORT.get(label, label))}</text>')
    floor_note = (f"fsync floor p50 {floor_ms:.2f} ms" if floor_ms else
                  "no fsync floor measured")
    o.append(f'<text x="{LEFT}" y="{legend_y + 22}" fill="#555">solid: p50, dashed: '
             f'p99, dots: each step; dotted grey line: {escape(floor_note)}</text>')
    o.append('</svg>')
    return "\n".join(o) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("fsync", nargs="?")
    ap.add_argument("--table")
    ap.add_argument("--svg")
    a = ap.parse_args()
    rows = read_rows(a.csv)
    floor_ms, floor_text = fsync_line(a.fsync)
    lines = chat_table(rows) if any(r["mode"] != "idle" for r in rows) else []
    if any(r["mode"] == "idle" for r in rows):
        lines += [""] + idle_table(rows)
    if floor_text:
        lines += ["", floor_text]
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if a.table:
        with open(a.table, "w") as f:
            f.write(text)
    if a.svg:
        svg = svg_plot(rows, floor_ms, floor_text)
        if svg:
            with open(a.svg, "w") as f:
                f.write(svg)


if __name__ == "__main__":
    main()
