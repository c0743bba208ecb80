#!/usr/bin/env python3
"""Compare the wire behaviour of two clients recorded by wiretap.py.

    python3 compat/tools/wirediff.py wire-hf1.jsonl wire-hf2.jsonl

Requests are grouped by method and a normalized path (repo ids, shas, oids,
signed-URL ids and file paths replaced by placeholders). For every group the
report lists what differs: present in one log only, request header names,
the values of content-type / accept / accept-encoding / user-agent shape,
query keys and boolean spellings, JSON body keys, chunked uploads, statuses.
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict

SUBS = [
    (re.compile(r"/lfs-upload/\d+/[0-9a-f]{64}/\d+"), "/lfs-upload/{key}/{oid}/{size}"),
    (re.compile(r"/lfs-verify/\d+/[0-9a-f]{64}/\d+"), "/lfs-verify/{key}/{oid}/{size}"),
    (re.compile(r"/lfs-part/[^/]+/\d+"), "/lfs-part/{upload}/{n}"),
    (re.compile(r"/lfs-complete/[^/]+"), "/lfs-complete/{upload}"),
    (re.compile(r"/lfs-download/\d+/[0-9a-f]{64}"), "/lfs-download/{key}/{oid}"),
    (re.compile(r"(^|/)(alice|bob|acme)/[A-Za-z0-9._-]+?(\.git)?(?=/|$)"), r"\1{ns}/{repo}\3"),
    (re.compile(r"refs%2Fpr%2F\d+"), "refs%2Fpr%2F{n}"),
    (re.compile(r"refs/pr/\d+"), "refs/pr/{n}"),
    (re.compile(r"/discussions/\d+"), "/discussions/{n}"),
    (re.compile(r"/(resolve|raw)/([^/]+(?:/pr/\{n\})?)/.+"), r"/\1/\2/{path}"),
    (re.compile(r"/(tree)/([^/]+)/.+"), r"/\1/\2/{path}"),
    (re.compile(r"\b[0-9a-f]{40}\b"), "{sha}"),
    (re.compile(r"\b[0-9a-f]{64}\b"), "{oid}"),
]
VOLATILE = {"authorization", "content-length", "host", "x-amzn-trace-id", "x-request-id", "range", "cookie"}
SHOW_VALUES = ("content-type", "accept", "accept-encoding", "connection")


def norm_path(p: str) -> str:
    for rx, rep in SUBS:
        p = rx.sub(rep, p)
    return p


def ua_shape(ua: str) -> str:
    return re.sub(r"\d+(\.\d+)*(\w*)", "N", ua)


def body_keys(rec) -> str:
    head = rec.get("body_head") or ""
    ctype = rec["headers"].get("content-type", "")
    if "ndjson" in ctype:
        first = head.split("\n", 1)[0]
        try:
            return "ndjson header: " + ",".join(sorted(json.loads(first).get("value", {})))
        except ValueError:
            return "ndjson"
    if "json" in ctype:
        try:
            return "json: " + ",".join(sorted(json.loads(head)))
        except ValueError:
            return "json (truncated)"
    if "form" in ctype:
        return "form: " + ",".join(sorted({kv.split("=", 1)[0] for kv in head.split("&") if kv}))
    return ""


def load(path):
    groups = defaultdict(lambda: defaultdict(set))
    uas = set()
    for line in open(path, encoding="utf-8"):
        rec = json.loads(line)
        key = (rec["method"], norm_path(rec["path"]))
        g = groups[key]
        g["count"].add(1)
        h = rec["headers"]
        g["header names"].add(",".join(sorted(k for k in h if k not in VOLATILE)))
        for k in SHOW_VALUES:
            if k in h:
                g[k].add(h[k])
        if "user-agent" in h:
            uas.add(h["user-agent"])
            g["user-agent shape"].add(ua_shape(h["user-agent"]))
        if rec["query"]:
            q = re.sub(r"(sig|exp|cursor)=[^&]*", r"\1=…", rec["query"])
            q = re.sub(r"=[0-9a-f]{40}\b", "={sha}", q)
            g["query"].add(q)
        bk = body_keys(rec)
        if bk:
            g["body"].add(bk)
        g["chunked body"].add(str(rec.get("chunked", False)))
        g["status"].add(str(rec["status"]))
    return groups, uas


def main() -> int:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    a_path, b_path = sys.argv[1:]
    a, ua_a = load(a_path)
    b, ua_b = load(b_path)
    print(f"# wire diff: {a_path} (A) vs {b_path} (B)\n")
    print("user agents A:", *sorted(ua_a), sep="\n  ")
    print("user agents B:", *sorted(ua_b), sep="\n  ")
    only_a = sorted(set(a) - set(b))
    only_b = sorted(set(b) - set(a))
    if only_a:
        print("\nonly in A:")
        for m, p in only_a:
            print(f"  {m} {p}")
    if only_b:
        print("\nonly in B:")
        for m, p in only_b:
            print(f"  {m} {p}")
    print("\ndifferences on common requests:")
    n = 0
    for key in sorted(set(a) & set(b)):
        ga, gb = a[key], b[key]
        diffs = []
        for field in sorted((set(ga) | set(gb)) - {"count"}):
            va, vb = ga.get(field, set()), gb.get(field, set())
            if va != vb:
                diffs.append(f"    {field}:\n      A: {sorted(va)}\n      B: {sorted(vb)}")
        if diffs:
            n += 1
            print(f"  {key[0]} {key[1]}")
            print("\n".join(diffs))
    if not n:
        print("  none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
