#!/usr/bin/env python3
"""A recording reverse proxy for comparing what clients send on the wire.

    python3 compat/tools/wiretap.py --upstream http://127.0.0.1:PORT --log wire.jsonl

prints "wiretap: listening http://127.0.0.1:N" once ready, forwards every
request to the upstream unchanged (Host included, so the URLs the server puts
in its answers keep pointing at the proxy) and appends one JSON line per
exchange: method, path, query, request headers (Authorization redacted), body
size and head, status and a few response headers. Used by compat/run.sh when
WHARF_COMPAT_WIRETAP=1; compat/tools/wirediff.py compares two clients' logs.
Stdlib only; loopback only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}
RESP_KEEP = {
    "content-type", "content-length", "content-range", "etag", "x-linked-etag", "x-linked-size", "x-repo-commit",
    "x-error-code", "x-error-message", "location", "link", "x-total-count",
}


class Tap(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream: urllib.parse.SplitResult
    log_lock = threading.Lock()
    log_file = None
    client = ""

    def log_message(self, fmt, *args):  # quiet
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _handle(self):
        t0 = time.monotonic()
        body = self._body()
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        if body or self.headers.get("Transfer-Encoding"):
            headers["Content-Length"] = str(len(body))
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=300)
        try:
            conn.request(self.command, self.path, body=body or None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        self.send_response_only(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() in HOP or k.lower() == "content-length":
                continue
            self.send_header(k, v)
        if self.command != "HEAD":
            self.send_header("Content-Length", str(len(data)))
        elif resp.getheader("Content-Length") is not None:
            self.send_header("Content-Length", resp.getheader("Content-Length"))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self._record(body, resp, t0)

    def _record(self, body, resp, t0):
        u = urllib.parse.urlsplit(self.path)
        req_headers = {}
        for k, v in self.headers.items():
            if k.lower() == "authorization":
                v = v.split(" ", 1)[0] + " <redacted>"
            req_headers[k.lower()] = v
        head = ""
        ctype = self.headers.get("Content-Type", "")
        if body and ("json" in ctype or "form" in ctype or "ndjson" in ctype):
            head = body[:600].decode("utf-8", "replace")
        rec = {
            "client": self.client,
            "method": self.command,
            "path": u.path,
            "query": u.query,
            "headers": req_headers,
            "chunked": self.headers.get("Transfer-Encoding", "").lower() == "chunked",
            "body_len": len(body),
            "body_head": head,
            "status": resp.status,
            "resp_headers": {k.lower(): v for k, v in resp.getheaders() if k.lower() in RESP_KEEP},
            "ms": round((time.monotonic() - t0) * 1000, 1),
        }
        with self.log_lock:
            self.log_file.write(json.dumps(rec) + "\n")
            self.log_file.flush()

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _handle


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--client", default="")
    args = ap.parse_args()
    Tap.upstream = urllib.parse.urlsplit(args.upstream)
    Tap.log_file = open(args.log, "a", encoding="utf-8")
    Tap.client = args.client
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Tap)
    srv.daemon_threads = True
    print(f"wiretap: listening http://127.0.0.1:{srv.server_address[1]}", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
