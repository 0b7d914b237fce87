"""The BigQuery remote-function protocol: request bytes in, reply bytes out.

Request: ``{requestId, caller, sessionUser, userDefinedContext?, calls}``; reply:
``{"replies": [...]}``, one per call, same order (Google Cloud, "Work with remote functions").
``userDefinedContext`` keys (all optional, strings):

- ``signature``: ``row`` (default) -- each call is ``[row]``, the row a JSON object or a
  JSON-encoded string of one (SQL type STRING); ``scope3`` -- the hosted API's 17..21 positional
  arguments (:data:`SCOPE3_ARGS`), images as ``"WxH,WxH"``.
- ``return_type``: ``json`` (the reply is the ModeledRow object; default for ``row``) or
  ``string`` (the object serialised; default for ``scope3``, as the hosted API answers).
- ``debug``: ``true`` adds ``debug`` to every reply (switches read as :func:`fields.flag` reads
  them on every door: true/1/yes, false/0/no).
- ``emissions_basis``: ``location`` (default) or ``market`` (``ai_impact.estimate``).
- ``model_match``: ``fallback`` (default) or ``exact`` (family and size fallbacks become
  ``unknown_model`` errors).
- ``ranges``: ``true`` adds ``ranges`` and ``confidence`` to every reply.

A malformed envelope is answered 400 with ``{"errorMessage"}`` (at most 1,000 bytes of UTF-8):
BigQuery does not retry 400. So is a request of more than :data:`MAX_CALLS` calls (the SQL
functions send at most ``max_batching_rows`` = 5,000), and a batch whose reply would be larger
than :data:`MAX_REPLY_BYTES`, which BigQuery would reject anyway (failing the query with no
word of why): the message names the size and asks for a lower ``max_batching_rows``. A bad
call becomes that reply's ``error``; the other calls are unaffected.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import orjson

from ai_impact.catalog.grid import check_emissions_basis
from ai_impact.catalog.names import MODEL_MATCH
from ai_impact.errors import clip, row_error
from ai_impact.fields import flag

# The hosted API's positional order (aiapi.yaml, ImpactBigQueryRequest.calls description); the
# last four may be left out. ``request_time`` is ImpactRow's ``utc_datetime``.
SCOPE3_ARGS: tuple[str, ...] = (
    "model_id",
    "model_family",
    "model_name",
    "model_hugging_face_path",
    "utc_datetime",
    "node_id",
    "cloud_id",
    "cloud_region",
    "cloud_instance_id",
    "managed_service_id",
    "country",
    "region",
    "task",
    "input_tokens",
    "output_tokens",
    "input_images",
    "output_images",
    "output_video_resolution",
    "output_video_frames",
    "input_audio_seconds",
    "input_steps",
)
SCOPE3_MIN_ARGS = 17

SIGNATURES = ("row", "scope3")
RETURN_TYPES = ("json", "string")
MAX_ERROR_BYTES = 1000
# The SQL functions (sql/functions/*.sql) batch at most max_batching_rows = 5,000 rows per
# request; twice that leaves headroom for a hand-written max_batching_rows and bounds the work
# of one request. It does not bound the reply: see MAX_REPLY_BYTES.
MAX_CALLS = 10_000
# BigQuery's limit on a remote function's HTTP response from Cloud Run functions (gen2) or
# Cloud Run: "15 MB; exceeding it fails the query" (BigQuery quotas, "Remote functions"), read
# as 15,000,000 bytes, the stricter reading of MB. A reply is about 0.85 KB a row, 2.5 KB with
# ranges, 4.2 KB with debug, 5.9 KB with both (docs/sql.md, "Choices"): 10,000 rows with ranges
# are ~25 MB, so a batch that fits MAX_CALLS may still not fit here.
MAX_REPLY_BYTES = 15_000_000
_CALLER_PROJECT = re.compile(r"projects/([^/]+)/")


class EnvelopeError(ValueError):
    """The request as a whole cannot be read: answered 400 with ``errorMessage``."""


@dataclass(frozen=True)
class Context:
    signature: str
    return_type: str
    debug: bool
    emissions_basis: str = "location"
    model_match: str = "fallback"
    ranges: bool = False


@dataclass
class Outcome:
    """What the handler answers, and what it logs."""

    status: int
    body: bytes
    request_id: str | None
    caller_project: str | None
    rows: int
    row_errors: int


def error_body(message: str) -> bytes:
    """``{"errorMessage": ...}`` of at most :data:`MAX_ERROR_BYTES` bytes, as BigQuery asks:
    the message is cut by bytes of UTF-8 until its JSON (escapes included) fits."""
    body = orjson.dumps({"errorMessage": message})
    room = MAX_ERROR_BYTES - len('{"errorMessage":""}')
    while len(body) > MAX_ERROR_BYTES:
        room -= max(1, len(body) - MAX_ERROR_BYTES)
        body = orjson.dumps({"errorMessage": clip(message, room)})
    return body


def caller_project(caller: object) -> str | None:
    """Project of the calling query, from ``caller`` (``//bigquery.../projects/P/jobs/J``)."""
    if not isinstance(caller, str):
        return None
    found = _CALLER_PROJECT.search(caller)
    return found[1] if found else None


def read_context(raw: object) -> Context:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise EnvelopeError("userDefinedContext must be an object")
    signature = str(raw.get("signature") or "row").strip().lower()
    if signature not in SIGNATURES:
        raise EnvelopeError(
            f"userDefinedContext.signature {clip(signature)!r} is not one of "
            + ", ".join(SIGNATURES)
        )
    default_return = "json" if signature == "row" else "string"
    return_type = str(raw.get("return_type") or default_return).strip().lower()
    if return_type not in RETURN_TYPES:
        raise EnvelopeError(
            f"userDefinedContext.return_type {clip(return_type)!r} is not one of "
            + ", ".join(RETURN_TYPES)
        )
    try:
        debug = bool(flag(raw.get("debug")))
    except ValueError:
        raise EnvelopeError("userDefinedContext.debug must be true or false") from None
    try:
        basis = check_emissions_basis(raw.get("emissions_basis"))
    except ValueError as exc:
        raise EnvelopeError(f"userDefinedContext.{exc}") from None
    model_match = str(raw.get("model_match") or "fallback").strip().lower()
    if model_match not in MODEL_MATCH:
        raise EnvelopeError(
            f"userDefinedContext.model_match {model_match!r} is not one of {', '.join(MODEL_MATCH)}"
        )
    try:
        ranges = bool(flag(raw.get("ranges")))
    except ValueError:
        raise EnvelopeError("userDefinedContext.ranges must be true or false") from None
    return Context(signature, return_type, debug, basis, model_match, ranges)


def _row_from_call(call: object) -> dict | str:
    """The row of a ``row``-signature call, or a message saying what is wrong with it."""
    if not isinstance(call, list) or len(call) != 1:
        return "a call of signature 'row' holds exactly one argument (the request row)"
    row = call[0]
    if row is None:
        return {}
    if isinstance(row, str):
        try:
            row = orjson.loads(row)
        except orjson.JSONDecodeError:
            return "the request argument is a STRING that is not valid JSON"
    if not isinstance(row, dict):
        return "the request argument must be a JSON object"
    return row


def _row_from_positional(call: object) -> dict | str:
    if not isinstance(call, list) or not SCOPE3_MIN_ARGS <= len(call) <= len(SCOPE3_ARGS):
        return (
            f"a call of signature 'scope3' holds {SCOPE3_MIN_ARGS} to {len(SCOPE3_ARGS)} "
            "positional arguments"
        )
    return {
        name: value for name, value in zip(SCOPE3_ARGS, call, strict=False) if value is not None
    }


def _estimate_isolated(
    estimate: Callable[..., list[dict]], rows: list[dict], debug: bool, **options: str | bool
) -> list[dict]:
    """Estimate the batch; if that raises (a bug), estimate row by row so that only the rows
    that trigger it fail (``internal_error``), and the analyst's query goes on."""
    try:
        return estimate(rows, debug=debug, **options)
    except Exception:
        replies = []
        for row in rows:
            try:
                replies.extend(estimate([row], debug=debug, **options))
            except Exception as exc:
                reply = estimate([{}])[0]
                message = f"this row could not be estimated ({type(exc).__name__})"
                reply["error"] = row_error("internal_error", message)
                replies.append(reply)
        return replies


def handle(body: bytes, estimate_for: Callable[[str | None], Callable[..., list[dict]]]) -> Outcome:
    """Answer one BigQuery request. ``estimate_for(project)`` gives the estimate function for
    the calling project (whose customer's custom catalog entries it uses)."""
    try:
        envelope = orjson.loads(body)
    except orjson.JSONDecodeError:
        return Outcome(400, error_body("request body is not valid JSON"), None, None, 0, 0)
    if not isinstance(envelope, dict):
        return Outcome(400, error_body("request body must be a JSON object"), None, None, 0, 0)
    request_id = envelope.get("requestId")
    request_id = request_id if isinstance(request_id, str) else None
    project = caller_project(envelope.get("caller"))
    calls = envelope.get("calls")
    try:
        if calls is None:
            raise EnvelopeError("Invalid request format: missing required field 'calls'")
        if not isinstance(calls, list):
            raise EnvelopeError("Invalid request format: 'calls' must be an array")
        if len(calls) > MAX_CALLS:
            raise EnvelopeError(
                f"{len(calls)} calls: at most {MAX_CALLS:,} per request (the SQL functions "
                "send at most max_batching_rows = 5,000)"
            )
        context = read_context(envelope.get("userDefinedContext"))
    except EnvelopeError as exc:
        return Outcome(400, error_body(str(exc)), request_id, project, 0, 0)

    to_row = _row_from_call if context.signature == "row" else _row_from_positional
    read = [to_row(call) for call in calls]
    bad_calls = {i: r for i, r in enumerate(read) if isinstance(r, str)}
    rows = [{} if isinstance(r, str) else r for r in read]
    replies = _estimate_isolated(
        estimate_for(project),
        rows,
        context.debug,
        emissions_basis=context.emissions_basis,
        model_match=context.model_match,
        ranges=context.ranges,
    )
    for i, message in bad_calls.items():
        replies[i]["error"] = row_error("invalid_field", message, "calls")
    row_errors = sum(1 for r in replies if r["error"] is not None)
    answers: list[dict] | list[str] = replies
    if context.return_type == "string":
        answers = [orjson.dumps(r).decode() for r in replies]
    body = orjson.dumps({"replies": answers})
    if len(body) > MAX_REPLY_BYTES:
        body = error_body(reply_too_large(len(body), len(replies)))
        return Outcome(400, body, request_id, project, len(replies), row_errors)
    return Outcome(200, body, request_id, project, len(replies), row_errors)


def reply_too_large(size: int, calls: int) -> str:
    """Why a reply of ``size`` bytes to ``calls`` calls is not sent, and how many calls of
    that size fit :data:`MAX_REPLY_BYTES`."""
    return (
        f"the reply to these {calls:,} calls would be {size:,} bytes, over BigQuery's limit of "
        f"{MAX_REPLY_BYTES:,} bytes (15 MB) on a remote function's response: lower "
        f"max_batching_rows on the routine (CREATE OR REPLACE FUNCTION ... OPTIONS); at "
        f"{size // calls:,} bytes a row, at most {MAX_REPLY_BYTES * calls // size:,} rows fit"
    )
