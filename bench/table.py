"""Write the table of the latest benchmark figures into bench/README.md and the README.

Reads every bench/results/*.json (each a list `figures` of {name, value, unit, baseline,
ratio, target, met}) and replaces the text between the BENCH markers.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent
START, END = "<!-- BENCH:START -->", "<!-- BENCH:END -->"


def table() -> str:
    lines = [
        "| benchmark | figure | value | baseline (same run) | ratio | target | met | measured |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for path in sorted((HERE / "results").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        when = str(data.get("machine", {}).get("date", ""))[:10]
        for f in data.get("figures", []):
            met = "" if f.get("met") is None else ("yes" if f["met"] else "**no**")
            baseline = "" if f.get("baseline") is None else f"{f['baseline']:g}"
            ratio = "" if f.get("ratio") is None else f"{f['ratio']:g}"
            lines.append(
                f"| {path.stem} | {f['name']} | {f['value']:g} {f['unit']} | {baseline} | {ratio} | "
                f"{f.get('target') or ''} | {met} | {when} |"
            )
    return "\n".join(lines)


def splice(path: Path, body: str) -> None:
    text = path.read_text(encoding="utf-8")
    block = f"{START}\n{body}\n{END}"
    if START in text:
        text = text[: text.index(START)] + block + text[text.index(END) + len(END) :]
    else:
        text = text.replace("BENCH_TABLE", block)
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    body = table()
    readme = HERE / "README.md"
    if not readme.exists():
        readme.write_text(
            "# Benchmarks\n\n`make bench` runs every benchmark; each compares Maxim with its raw baseline "
            "in the same run and writes `results/NAME.json`. Latest figures:\n\nBENCH_TABLE\n"
        )
    splice(readme, body)
    splice(HERE.parent / "README.md", body)
    print(body)
