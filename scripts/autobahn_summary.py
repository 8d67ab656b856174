#!/usr/bin/env python3
"""Summarise an Autobahn|Testsuite fuzzingclient report.

Usage:
    scripts/autobahn_summary.py [REPORT_DIR] [--expected FILE] [--agent NAME]

Reads REPORT_DIR/index.json (default REPORT_DIR: target/autobahn), prints a
Markdown summary: one table row per case category with the count of each
behaviour, then every case that is not plainly OK, with its behavior and
behaviorClose.

A case passes when both its behavior and its behaviorClose are OK or
INFORMATIONAL. Anything else (NON-STRICT, FAILED, UNIMPLEMENTED, and the close
outcomes WRONG CODE, UNCLEAN, FAILED BY CLIENT, ...) is a failure. With
--expected FILE (one case id a line), a case that is listed there but missing
from the report is a failure too (e.g. the server died mid-run, and wstest
still writes a report of the cases it got to).

Exit status: 0 all cases pass, 1 some case failed or is missing,
2 the report is absent or unreadable.
"""

import argparse
import json
import os
import sys

CATEGORIES = {
    1: "Framing",
    2: "Pings/Pongs",
    3: "Reserved bits",
    4: "Opcodes",
    5: "Fragmentation",
    6: "UTF-8",
    7: "Close handling",
    8: "Misc",
    9: "Limits/Performance",
    10: "Misc",
    12: "WebSocket compression (different payloads)",
    13: "WebSocket compression (different parameters)",
}

# Columns of the per-category table, in order (values of "behavior").
BEHAVIORS = ["OK", "NON-STRICT", "FAILED", "INFORMATIONAL", "UNIMPLEMENTED"]
ACCEPTABLE = {"OK", "INFORMATIONAL"}


def case_key(case_id):
    """'9.10.2' -> (9, 10, 2), so that ids sort numerically."""
    out = []
    for part in case_id.split("."):
        try:
            out.append(int(part))
        except ValueError:
            out.append(0)
    return tuple(out)


def category_of(case_id):
    return case_key(case_id)[0]


def is_pass(result):
    return (result.get("behavior") in ACCEPTABLE
            and result.get("behaviorClose") in ACCEPTABLE)


def summarise(agent, results, expected):
    """Print the report for one agent; return the number of failing cases."""
    cats = {}

    def cat(n):
        return cats.setdefault(n, {
            "total": 0, "by_behavior": dict.fromkeys(BEHAVIORS, 0),
            "other": 0, "bad_close": 0, "missing": 0, "failed_cases": 0,
            "duration_ms": 0,
        })

    for case_id, r in results.items():
        c = cat(category_of(case_id))
        c["total"] += 1
        b = r.get("behavior")
        if b in c["by_behavior"]:
            c["by_behavior"][b] += 1
        else:
            c["other"] += 1
        if r.get("behaviorClose") not in ACCEPTABLE:
            c["bad_close"] += 1
        if not is_pass(r):
            c["failed_cases"] += 1
        c["duration_ms"] += r.get("duration") or 0

    missing = sorted((set(expected) - set(results)) if expected else [],
                     key=case_key)
    for case_id in missing:
        c = cat(category_of(case_id))
        c["missing"] += 1
        c["failed_cases"] += 1

    show_other = any(c["other"] for c in cats.values())
    show_missing = bool(missing)

    print(f"### Autobahn|Testsuite results for `{agent}`")
    print()
    head = ["Cat.", "Category", "Cases"] + BEHAVIORS
    if show_other:
        head.append("other")
    head.append("Close not OK")
    if show_missing:
        head.append("Not run")
    head += ["Time (s)", "Result"]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join(["---:", "---"] + ["---:"] * (len(head) - 3) + [":---:"]) + "|")

    totals = {k: 0 for k in head[2:-1]}

    for n in sorted(cats):
        c = cats[n]
        row = [str(n), CATEGORIES.get(n, "?"), c["total"]]
        row += [c["by_behavior"][b] for b in BEHAVIORS]
        if show_other:
            row.append(c["other"])
        row.append(c["bad_close"])
        if show_missing:
            row.append(c["missing"])
        row.append(round(c["duration_ms"] / 1000.0, 1))
        row.append("FAIL" if c["failed_cases"] else "pass")
        for k, v in zip(head[2:-1], row[2:-1]):
            totals[k] += v
        print("| " + " | ".join(str(x) for x in row) + " |")

    n_fail = sum(c["failed_cases"] for c in cats.values())
    total_row = ["", "**Total**"] + [
        f"**{round(totals[k], 1) if k == 'Time (s)' else totals[k]}**"
        for k in head[2:-1]] + ["**FAIL**" if n_fail else "**pass**"]
    print("| " + " | ".join(total_row) + " |")
    print()

    not_ok = sorted((cid for cid, r in results.items()
                     if r.get("behavior") != "OK" or r.get("behaviorClose") != "OK"),
                    key=case_key)
    if not_ok or missing:
        print("#### Cases that are not plainly OK")
        print()
        print("| Case | behavior | behaviorClose | remoteCloseCode | Verdict | Report file |")
        print("|---|---|---|---:|---|---|")
        for cid in not_ok:
            r = results[cid]
            verdict = "acceptable (informational)" if is_pass(r) else "**FAIL**"
            code = r.get("remoteCloseCode")
            print(f"| {cid} | {r.get('behavior')} | {r.get('behaviorClose')} | "
                  f"{'' if code is None else code} | {verdict} | {r.get('reportfile', '')} |")
        for cid in missing:
            print(f"| {cid} | (not run) | (not run) | | **FAIL** | |")
        print()

    n_run = len(results)
    n_info = sum(1 for r in results.values() if is_pass(r) and
                 (r.get("behavior") == "INFORMATIONAL" or r.get("behaviorClose") == "INFORMATIONAL"))
    n_ok = sum(1 for r in results.values() if is_pass(r)) - n_info
    print(f"{agent}: {n_run} cases run"
          + (f" of {n_run + len(missing)} expected" if expected else "")
          + f"; {n_ok} OK, {n_info} INFORMATIONAL (accepted), "
          f"{n_fail - len(missing)} failing, {len(missing)} not run.")
    print()
    return n_fail, n_ok + n_info


def read_expected(path):
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("report_dir", nargs="?", default="target/autobahn",
                    help="directory holding index.json (default: target/autobahn)")
    ap.add_argument("--expected", metavar="FILE",
                    help="file listing the case ids that should have run, one a line")
    ap.add_argument("--agent", help="only summarise this agent (default: every agent in the report)")
    args = ap.parse_args(argv)

    index = os.path.join(args.report_dir, "index.json")
    try:
        with open(index, encoding="utf-8") as f:
            report = json.load(f)
    except (OSError, ValueError) as e:
        print(f"autobahn_summary: cannot read {index}: {e}", file=sys.stderr)
        return 2

    expected = read_expected(args.expected) if args.expected else None

    agents = sorted(report)
    if args.agent:
        agents = [a for a in agents if a == args.agent]
    if not agents:
        print(f"autobahn_summary: no results{' for agent ' + args.agent if args.agent else ''} in {index}",
              file=sys.stderr)
        # An empty report with an expected case list means nothing ran.
        if expected:
            agents_results = [(args.agent or "(none)", {})]
        else:
            return 2
    else:
        agents_results = [(a, report[a]) for a in agents]

    failed = passed = 0
    for agent, results in agents_results:
        f, p = summarise(agent, results, expected)
        failed += f
        passed += p

    # Plain closing line, read by CI log scrapers.
    print(f"autobahn: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
