#!/usr/bin/env python3
"""Aggregate compat suite results (JSON lines) into a scenario x client table.

Each line: {"client": str, "scenario": str, "status": "pass"|"fail"|"skip",
"detail": str, "seconds": float}. Exit status 1 if any scenario failed, if a
suite exited non-zero (--failed-suites), or if no result was recorded.

--known FILE lists known server bugs, one per line: "CLIENT-GLOB SCENARIO
reason" (lines starting with '#' are comments). A listed failure shows as "xfail" and does
not fail the run; a listed scenario that passes shows as "XPASS" and fails
the run, so the entry gets removed once the bug is fixed.
"""

import argparse
import fnmatch
import json
import sys


def load_known(path):
    known = []
    if not path:
        return known
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 2)
            if len(parts) < 2:
                continue
            known.append((parts[0], parts[1], parts[2] if len(parts) > 2 else ""))
    return known


def known_reason(known, client, scenario):
    for cglob, sglob, reason in known:
        if fnmatch.fnmatchcase(client, cglob) and fnmatch.fnmatchcase(scenario, sglob):
            return reason or "known failure"
    return None


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--clients", default="", help="column order (space separated)")
    ap.add_argument("--failed-suites", default="", help="'name:rc' items of suites that exited non-zero")
    ap.add_argument("--known", default="", help="known-failures file")
    args = ap.parse_args()
    known = load_known(args.known)

    rows: list[str] = []
    cols: list[str] = [c for c in args.clients.split() if c]
    cells: dict[tuple[str, str], dict] = {}
    bad_lines = 0
    with open(args.results, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                r = json.loads(line)
                client, scenario, status = r["client"], r["scenario"], r["status"]
            except (ValueError, KeyError, TypeError):
                bad_lines += 1
                continue
            if scenario not in rows:
                rows.append(scenario)
            if client not in cols:
                cols.append(client)
            prev = cells.get((scenario, client))
            # A scenario reported twice keeps its worst status.
            if prev is None or prev["status"] != "fail":
                cells[(scenario, client)] = r
    for (scenario, client), r in cells.items():
        reason = known_reason(known, client, scenario)
        if reason is None:
            continue
        if r["status"] == "fail":
            r["status"] = "xfail"
            r["known"] = reason
        elif r["status"] == "pass":
            r["status"] = "xpass"
            r["known"] = reason

    suite_failures = {}
    for item in args.failed_suites.split():
        name, _, rc = item.partition(":")
        suite_failures[name] = rc
        if name not in cols:
            cols.append(name)
    # Only show columns that ran something (e.g. "go" only once compat/go exists).
    cols = [c for c in cols if any(k[1] == c for k in cells) or c in suite_failures]

    failures = []
    label = {"pass": "pass", "fail": "FAIL", "skip": "skip", "xfail": "xfail", "xpass": "XPASS"}
    width0 = max([len("scenario")] + [len(r) for r in rows] + [len("(suite exit)")])
    widths = [max(len(c), 5) for c in cols]
    out = []
    out.append("  ".join(["scenario".ljust(width0)] + [c.ljust(w) for c, w in zip(cols, widths)]))
    out.append("  ".join(["-" * width0] + ["-" * w for w in widths]))
    for row in rows:
        line = [row.ljust(width0)]
        for c, w in zip(cols, widths):
            r = cells.get((row, c))
            if r is None:
                line.append("-".ljust(w))
                continue
            line.append(label.get(r["status"], r["status"]).ljust(w))
            if r["status"] in ("fail", "xpass"):
                failures.append(r)
        out.append("  ".join(line).rstrip())
    if suite_failures:
        line = ["(suite exit)".ljust(width0)]
        for c, w in zip(cols, widths):
            line.append(("rc=" + suite_failures[c] if c in suite_failures else "0").ljust(w))
        out.append("  ".join(line).rstrip())

    n_pass = sum(1 for r in cells.values() if r["status"] == "pass")
    n_fail = sum(1 for r in cells.values() if r["status"] in ("fail", "xpass"))
    n_skip = sum(1 for r in cells.values() if r["status"] in ("skip", "xfail"))
    xfails = [r for r in cells.values() if r["status"] == "xfail"]
    print()
    print("\n".join(out))
    print()
    skips = [r for r in cells.values() if r["status"] == "skip"]
    if skips:
        print("skipped:")
        for r in skips:
            print(f"  {r['client']}/{r['scenario']}: {r.get('detail', '')}")
    if xfails:
        print("known server bugs (xfail, listed in compat/known-failures.txt):")
        for r in xfails:
            detail = (r.get("detail") or "").strip().splitlines()
            print(f"  {r['client']}/{r['scenario']}: {r['known']}\n      {detail[-1] if detail else ''}")
    if failures:
        print("failed:")
        for r in failures:
            if r["status"] == "xpass":
                print(f"  {r['client']}/{r['scenario']}: passes now: remove it from compat/known-failures.txt")
                continue
            detail = (r.get("detail") or "").strip().splitlines()
            print(f"  {r['client']}/{r['scenario']}: {detail[-1] if detail else ''}")
    for name, rc in suite_failures.items():
        print(f"  suite {name} exited with status {rc}")
    if bad_lines:
        print(f"  {bad_lines} unreadable result line(s)")
    # The plain closing line CI understands.
    print(f"compat: {n_pass} passed, {n_fail} failed, {n_skip} skipped")
    if n_fail or suite_failures or bad_lines or not cells:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
