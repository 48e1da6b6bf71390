"""`parity report`'s outputs from an Overview (pure): one self-contained HTML page (inline CSS, no
script, no external asset: it opens from a file, a CI artifact or a mail) and the markdown digest a
pull request comment takes."""

from __future__ import annotations

from html import escape
from typing import Any

from parity.overview import Overview

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1280px;color:#1b1f24;padding:0 16px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.meta{color:#57606a}.cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}
.card{border:1px solid #d0d7de;border-radius:8px;padding:10px 14px;min-width:180px}
.card b{display:block;font-size:20px}.ok{color:#1a7f37}.bad{color:#cf222e}.warn{color:#9a6700}
table{border-collapse:collapse;width:100%;margin:6px 0 14px}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}td code{font-size:12px;word-break:break-all}tr.violation td{background:#ffebe9}
.tag{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;background:#ddf4ff}
.tag.bad{background:#ffebe9}details{margin:4px 0}summary{cursor:pointer;font-weight:600}
.env{display:inline-block;vertical-align:top;width:32%;margin-right:1%}
ol.timeline{padding-left:18px}ol.timeline li{margin:3px 0}
"""


def _heads(*names: str) -> str:
    return "".join(f"<th>{escape(n)}</th>" for n in names)


def _cell(text: Any) -> str:
    return f"<td><code>{escape(str(text))}</code></td>"


def _verdict(rule: str | None) -> str:
    if rule is None:
        return "<td></td>"
    return (
        f'<td><span class="tag">{escape(rule)}</span></td>'
        if rule
        else '<td><span class="tag bad">VIOLATION</span></td>'
    )


def _matrix(o: Overview) -> list[str]:
    out = [
        "<h2 id=matrix>Environment matrix</h2>",
        "<table><tr><th>pair</th><th>verdict</th><th>allowed differences</th></tr>",
    ]
    for p in o.pairs:
        verdict = (
            f'<span class="bad">{len(p.violations)} violation(s)</span>'
            if p.violations
            else '<span class="ok">parity holds</span>'
        )
        rules = ", ".join(f"{escape(r)} {n}" for r, n in sorted(p.allowed.items())) or "none"
        out.append(
            f"<tr><td>{escape(p.left)} → {escape(p.right)}</td><td>{verdict}</td><td>{rules}</td></tr>"
        )
    out.append("</table>")
    for p in (p for p in o.pairs if p.violations):
        out.append(f"<p class=bad>{escape(p.left)} → {escape(p.right)}:</p><ul>")
        out += [f"<li><code>{escape(line)}</code></li>" for line in p.violations]
        out.append("</ul>")
    steps = [f"{a}->{b}" for a, b in zip(o.envs, o.envs[1:], strict=False)]
    head = "".join(f"<th>{escape(e)}</th>" for e in o.envs) + "".join(
        f"<th>{escape(s.replace('->', ' → '))}</th>" for s in steps
    )
    groups: dict[str, list[str]] = {}
    for row in o.rows:
        verdicts = [row.verdicts.get(s) for s in steps]
        key = "violations" if "" in verdicts else ", ".join(sorted({v for v in verdicts if v}))
        cls = ' class="violation"' if key == "violations" else ""
        cells = "".join(_cell(row.values[e]) for e in o.envs) + "".join(_verdict(v) for v in verdicts)
        groups.setdefault(key, []).append(f"<tr{cls}>{_cell(row.resource)}{_cell(row.path)}{cells}</tr>")
    for key in sorted(groups, key=lambda k: (k != "violations", k)):
        opened = " open" if key == "violations" else ""
        label = "not allowed" if key == "violations" else f"allowed by {key}"
        out.append(f"<details{opened}><summary>{escape(label)}: {len(groups[key])} difference(s)</summary>")
        out.append(
            f"<table><tr><th>resource</th><th>path</th>{head}</tr>{''.join(groups[key])}</table></details>"
        )
    return out


def _gates(o: Overview) -> list[str]:
    out = ["<h2 id=gates>Gate results</h2>"]
    if o.evidence:
        out.append(
            "<table><tr><th>gate</th><th>env</th><th>result</th><th>seconds</th><th>findings</th><th>evidence</th></tr>"
        )
        for e in o.evidence:
            result = (
                '<span class="ok">passed</span>'
                if e["ok"]
                else f'<span class="bad">{len(e["findings"])} failure(s)</span>'
            )
            findings = "<br>".join(escape(f) for f in e["findings"]) or "—"
            out.append(
                f"<tr><td>{escape(str(e['gate']))}</td><td>{escape(str(e['env']))}</td><td>{result}</td>"
                f"<td>{escape(str(e['seconds']))}</td><td>{findings}</td>{_cell(e['file'])}</tr>"
            )
        out.append("</table>")
    if o.gates:
        out.append(
            "<table><tr><th>#</th><th>time</th><th>release</th><th>env</th><th>gates</th><th>result</th><th>by</th></tr>"
        )
        for g in o.gates:
            result = '<span class="ok">passed</span>' if g["ok"] else '<span class="bad">failed</span>'
            out.append(
                f"<tr><td>{g['seq']}</td><td>{escape(g['time'])}</td>{_cell(g['release'])}<td>{escape(g['env'])}</td>"
                f"<td>{escape(g['note'])}</td><td>{result}</td><td>{escape(g['actor'])}</td></tr>"
            )
        out.append("</table>")
    if not (o.evidence or o.gates):
        out.append("<p class=meta>No gate has run here, and the ledger records none.</p>")
    return out


def _event(item: dict[str, Any]) -> str:
    action = str(item["action"])
    cls = (
        "bad"
        if action == "promote.failed" or item["ok"] is False
        else "warn"
        if action == "emergency"
        else ""
    )
    extra = f" — approvals: {', '.join(item['approvals'])}" if item["approvals"] else ""
    extra += f" — {item['note']}" if item["note"] else ""
    return (
        f'<li><span class="{cls}">{escape(item["time"])} <b>{escape(action)}</b></span> '
        f"<code>{escape(str(item['release']))}</code> by {escape(str(item['actor']))}{escape(extra)}</li>"
    )


def _timeline(o: Overview) -> list[str]:
    out = ["<h2 id=timeline>Release timeline</h2>"]
    if not o.ledger_ok:
        out.append('<p class="bad">The ledger failed verification: what follows is unverified.</p>')
    for env in o.envs:
        items = o.timeline.get(env, [])
        out.append(f'<div class="env"><h3>{escape(env)}</h3>')
        out.append(
            f"<ol class=timeline>{''.join(_event(i) for i in items)}</ol></div>"
            if items
            else "<p class=meta>nothing yet</p></div>"
        )
    return out


def _pending(o: Overview) -> list[str]:
    out = ["<h2 id=pending>Pending retro-approvals</h2>"]
    if not o.pending:
        return [*out, '<p class="ok">None: every emergency change has its approvals.</p>']
    out.append("<table><tr>" + _heads("#", "time", "release", "env", "by", "reason", "to close it") + "</tr>")
    for p in o.pending:
        command = f"parity approve {p['release']} --env {p['env']} --as USER"
        out.append(
            f"<tr class=violation><td>{p['seq']}</td><td>{escape(p['time'])}</td>{_cell(p['release'])}"
            f"<td>{escape(p['env'])}</td><td>{escape(p['actor'])}</td><td>{escape(p['reason'])}</td>"
            f"{_cell(command)}</tr>"
        )
    return [*out, "</table>"]


def html(o: Overview) -> str:
    cards = [
        (
            "parity",
            "holds" if not o.violations else f"{o.violations} violation(s)",
            "ok" if not o.violations else "bad",
        ),
        ("differences", f"{len(o.rows)} on the path", ""),
        ("gates", f"{sum(1 for g in o.gates if g['ok'])}/{len(o.gates)} passed (ledger)", ""),
        ("pending retro-approvals", str(len(o.pending)), "bad" if o.pending else "ok"),
        (
            "ledger",
            f"{o.ledger_entries} entries, {'verified' if o.ledger_ok else 'TAMPERED'}",
            "ok" if o.ledger_ok else "bad",
        ),
    ]
    body = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        "<meta name=viewport content='width=device-width,initial-scale=1'><title>parity report</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>parity report</h1>",
        f"<p class=meta>commit <code>{escape(o.commit)}</code>, generated {escape(o.generated)}; "
        f"environments {escape(' → '.join(o.envs))}</p>",
        "<div class=cards>"
        + "".join(f'<div class=card>{escape(t)}<b class="{c}">{escape(v)}</b></div>' for t, v, c in cards)
        + "</div>",
        *_matrix(o),
        *_gates(o),
        *_timeline(o),
        *_pending(o),
        "</body></html>\n",
    ]
    return "\n".join(body)


def markdown(o: Overview) -> str:
    lines = [
        "### parity report",
        "",
        f"commit `{o.commit}`: "
        + ("**parity holds**" if not o.violations else f"**{o.violations} violation(s)**"),
        "",
    ]
    lines += ["| pair | verdict | allowed |", "|---|---|---|"]
    for p in o.pairs:
        verdict = f"❌ {len(p.violations)} violation(s)" if p.violations else "✅ holds"
        allowed = ", ".join(f"{r} {n}" for r, n in sorted(p.allowed.items()))
        lines.append(f"| {p.left} → {p.right} | {verdict} | {allowed} |")
    for p in o.pairs:
        lines += [f"- ❌ `{p.left} → {p.right}` {line}" for line in p.violations]
    if o.evidence:
        lines += ["", "| gate | env | result |", "|---|---|---|"]
        for e in o.evidence:
            result = "✅ passed" if e["ok"] else f"❌ {len(e['findings'])} failure(s)"
            lines.append(f"| {e['gate']} | {e['env']} | {result} |")
    lines += ["", f"Pending retro-approvals: {len(o.pending)}."]
    return "\n".join(lines).replace("|  |", "| none |") + "\n"
