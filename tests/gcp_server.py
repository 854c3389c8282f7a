"""A small local Cloud Asset Inventory REST endpoint for tests: recorded-shaped JSON on 127.0.0.1.

Serves `GET /v1/{parent}/assets` (pageToken / nextPageToken pagination, per content type) and
`GET /v1/{scope}:searchAllIamPolicies`, answers 403 PERMISSION_DENIED for the calls listed in `deny`,
and 503 UNAVAILABLE for the first `unavailable[key]` requests of a call. It speaks the REST API's JSON
(camelCase), as the real service does.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

# The client may send enums as numbers (`$alt=json;enum-encoding=int`).
CONTENT_TYPES = {"1": "RESOURCE", "2": "IAM_POLICY", "RESOURCE": "RESOURCE", "IAM_POLICY": "IAM_POLICY"}
SEARCH = "SEARCH"


@dataclass
class GcpAssetApi:
    """What the endpoint serves: pages per key ("RESOURCE", "IAM_POLICY", "SEARCH") and failures."""

    pages: dict[str, list[list[dict[str, Any]]]] = field(default_factory=dict)
    deny: set[str] = field(default_factory=set)
    unavailable: dict[str, int] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        if path.endswith(":searchAllIamPolicies"):
            key, field_name = SEARCH, "results"
        elif path.endswith("/assets"):
            key = CONTENT_TYPES.get(query.get("contentType", [""])[0], "")
            field_name = "assets"
        else:
            return 404, _error(404, f"no such method: {path}", "NOT_FOUND")
        if self.unavailable.get(key, 0) > 0:
            self.unavailable[key] -= 1
            return 503, _error(503, "The service is currently unavailable.", "UNAVAILABLE")
        if key in self.deny:
            return 403, _error(
                403,
                "The caller does not have permission",
                "PERMISSION_DENIED",
            )
        pages = self.pages.get(key, [[]])
        index = int(query.get("pageToken", ["0"])[0] or 0)
        body: dict[str, Any] = {field_name: pages[index], "readTime": "2025-01-02T03:04:05Z"}
        if index + 1 < len(pages):
            body["nextPageToken"] = str(index + 1)
        return 200, body


def _error(code: int, message: str, status: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status}}


@contextmanager
def gcp_asset_server(api: GcpAssetApi) -> Iterator[str]:
    """Serve `api` on 127.0.0.1 (a random port) in a thread; yields the endpoint URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            api.requests.append(self.path)
            status, body = api.answer(url.path, parse_qs(url.query))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
