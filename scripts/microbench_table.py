#!/usr/bin/env python3
"""Turn criterion's results into a Markdown table.

Usage:
    scripts/microbench_table.py [--criterion-dir DIR] [--since EPOCH]
                                [--note TEXT] [--out FILE]

Reads every DIR/**/new/benchmark.json (default DIR: target/criterion) and the
estimates.json beside it, and prints one row per benchmark: its name, its
size (criterion's parameter), its throughput and its time per iteration.
Time is the mean point estimate; throughput is the bytes (or elements) one
iteration processes, from benchmark.json, divided by that mean. Rows come in
the order the benchmarks ran (by when criterion wrote them).

--since EPOCH keeps only the results written at or after that Unix time, so
results of an earlier run (or of a benchmark since removed) are left out.
--note TEXT adds a line under the table (where and how it was measured).
--out FILE writes the table to FILE as well as to stdout.

Exit status: 0 a table was made, 1 no results were found.
Python 3 standard library only.
"""

import argparse
import json
import os
import sys

GIB = 1024**3
MIB = 1024**2
KIB = 1024


def find_results(root, since):
    """(mtime, benchmark, estimates) for each result under root."""
    results = []
    for directory, _subdirs, files in os.walk(root):
        if os.path.basename(directory) != "new":
            continue
        if "benchmark.json" not in files or "estimates.json" not in files:
            continue
        estimates_path = os.path.join(directory, "estimates.json")
        mtime = os.path.getmtime(estimates_path)
        if since is not None and mtime < since:
            continue
        with open(os.path.join(directory, "benchmark.json"), encoding="utf-8") as f:
            benchmark = json.load(f)
        with open(estimates_path, encoding="utf-8") as f:
            estimates = json.load(f)
        results.append((mtime, benchmark, estimates))
    results.sort(key=lambda r: (r[0], r[1].get("full_id", "")))
    return results


def format_time(ns):
    """A duration in nanoseconds, in the unit that suits it."""
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}" if ns / scale < 100 else f"{ns / scale:.0f} {unit}"
    return f"{ns:.3g} ns" if ns < 100 else f"{ns:.0f} ns"


def format_rate(amount, ns, throughput_kind):
    """Throughput: bytes as GiB/s, MiB/s or KiB/s; elements as elem/s."""
    if amount is None or ns <= 0:
        return "—"
    per_second = amount / (ns / 1e9)
    if throughput_kind == "Bytes":
        for unit, scale in (("GiB/s", GIB), ("MiB/s", MIB), ("KiB/s", KIB)):
            if per_second >= scale:
                return f"{per_second / scale:.2f} {unit}"
        return f"{per_second:.0f} B/s"
    for unit, scale in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if per_second >= scale:
            return f"{per_second / scale:.2f} {unit}elem/s"
    return f"{per_second:.0f} elem/s"


def throughput_of(benchmark):
    """(kind, amount per iteration) from benchmark.json, or (None, None)."""
    throughput = benchmark.get("throughput") or {}
    for kind in ("Bytes", "BytesDecimal", "Elements"):
        if kind in throughput:
            return ("Bytes" if kind.startswith("Bytes") else "Elements"), throughput[kind]
    if "ElementsAndBytes" in throughput:
        return "Bytes", throughput["ElementsAndBytes"].get("bytes")
    return None, None


def row(benchmark, estimates):
    group = benchmark.get("group_id", "")
    function = benchmark.get("function_id")
    name = f"{group}/{function}" if function else group
    size = benchmark.get("value_str") or ""
    mean_ns = estimates["mean"]["point_estimate"]
    kind, amount = throughput_of(benchmark)
    return [f"`{name}`", size, format_rate(amount, mean_ns, kind), format_time(mean_ns)]


def table(results):
    header = ["benchmark", "size", "throughput", "time/iter (mean)"]
    rows = [row(b, e) for _mtime, b, e in results]
    align = ["---", "---:", "---:", "---:"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--criterion-dir", default=os.path.join("target", "criterion"))
    parser.add_argument("--since", type=float, help="only results written at or after this Unix time")
    parser.add_argument("--note", help="a line to add under the table")
    parser.add_argument("--out", help="also write the table to this file")
    args = parser.parse_args()

    if not os.path.isdir(args.criterion_dir):
        print(f"no criterion results at {args.criterion_dir}", file=sys.stderr)
        return 1
    results = find_results(args.criterion_dir, args.since)
    if not results:
        print(f"no (recent enough) results under {args.criterion_dir}", file=sys.stderr)
        return 1
    text = table(results)
    if args.note:
        text += "\n" + args.note + "\n"
    sys.stdout.write(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
