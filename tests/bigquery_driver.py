"""A client that behaves like BigQuery calling a remote function, for end-to-end tests.

It splits the rows of a table into batches of at most ``max_batching_rows`` calls, posts each
as BigQuery does, retries 408/429/500/503/504 (up to 20 times), fails the query on any other
non-200 code, and checks every reply against the declared SQL return type, as BigQuery does
before handing values to SQL ("Failed to decode JSON value ... to SQL type STRING").
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field

import orjson

RETRIED = {408, 429, 500, 503, 504}
MAX_RETRIES = 20


class QueryFailed(RuntimeError):  # noqa: N818 - named for what the analyst sees
    """What the analyst would see: the query stops with this status and body."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"remote function answered {status}: {body[:200]!r}")
        self.status = status
        self.body = body


@dataclass
class BigQueryDriver:
    endpoint: str
    return_type: str  # "JSON" or "STRING": the SQL type of the function's RETURNS
    user_defined_context: dict[str, str] = field(default_factory=dict)
    max_batching_rows: int = 1000
    project: str = "analytics-proj"
    requests_sent: int = 0

    def envelope(self, calls: list[list]) -> dict:
        return {
            "requestId": uuid.uuid4().hex,
            "caller": f"//bigquery.googleapis.com/projects/{self.project}/jobs/"
            f"{self.project}:US.bquxjob_{uuid.uuid4().hex[:8]}",
            "sessionUser": "analyst@example.com",
            "userDefinedContext": self.user_defined_context,
            "calls": calls,
        }

    def post(self, body: bytes) -> tuple[int, bytes]:
        request = urllib.request.Request(
            self.endpoint, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        self.requests_sent += 1
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def call_batch(self, calls: list[list]) -> list:
        body = orjson.dumps(self.envelope(calls))
        for attempt in range(MAX_RETRIES + 1):
            status, answer = self.post(body)
            if status == 200:
                return self.check(calls, answer)
            if status not in RETRIED or attempt == MAX_RETRIES:
                raise QueryFailed(status, answer)
            time.sleep(min(0.05 * 2**attempt, 1.0))
        raise AssertionError("unreachable")

    def check(self, calls: list[list], answer: bytes) -> list:
        decoded = orjson.loads(answer)  # strict JSON: NaN/Infinity literals raise here
        if not isinstance(decoded, dict) or not isinstance(decoded.get("replies"), list):
            raise QueryFailed(200, b"reply is not {replies: [...]}: " + answer[:200])
        replies = decoded["replies"]
        if len(replies) != len(calls):
            raise QueryFailed(200, f"{len(replies)} replies for {len(calls)} calls".encode())
        for reply in replies:
            if reply is None:
                continue
            if self.return_type == "STRING" and not isinstance(reply, str):
                raise QueryFailed(
                    200, f"Failed to decode {reply!r:.80} to SQL type STRING".encode()
                )
        return replies

    def run(self, calls: list[list]) -> list:
        """Replies for all calls, in order, batched like BigQuery."""
        replies: list = []
        for start in range(0, len(calls), self.max_batching_rows):
            replies.extend(self.call_batch(calls[start : start + self.max_batching_rows]))
        return replies
