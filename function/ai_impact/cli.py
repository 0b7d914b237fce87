"""``ai-impact``: estimate log files; manage the REST API's tokens and BigQuery project mappings.

    ai-impact estimate FILE... [-o OUT] [--from FORMAT] [--map COL=FIELD] [--ranges]
                               [--report report.html] [--png DIR]
    ai-impact token create --role admin [--customer NAME] [--name LABEL] [--rate-per-minute N]
    ai-impact token list
    ai-impact token revoke ID
    ai-impact project map PROJECT --customer NAME
    ai-impact project list
    ai-impact dev-token          # what `make run` prints: the local admin token (kept)
    ai-impact openapi PATH       # write the service's OpenAPI document (docs/openapi.json)

The store is ``$AI_IMPACT_DB`` (or ``--db PATH``). A token's secret is printed once and only its
SHA-256 is stored.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import orjson

from ai_impact.rest import openapi
from ai_impact.rest.auth import hash_token, issue_token
from ai_impact.store import Store, default_path, open_store
from ai_impact.store.base import ROLES

DEFAULT_CUSTOMER = "default"
DEV_CUSTOMER = "dev"
DEV_TOKEN_NAME = "make-run development token"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ai-impact", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db",
        type=Path,
        help="SQLite store file (default: $AI_IMPACT_DB; the BigQuery store when "
        "$AI_IMPACT_BIGQUERY_DATASET is set)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    token = commands.add_parser("token", help="API tokens").add_subparsers(
        dest="action", required=True
    )
    create = token.add_parser("create", help="create a token and print its secret")
    create.add_argument("--role", choices=ROLES, required=True)
    create.add_argument("--customer", default=DEFAULT_CUSTOMER, help="customer name")
    create.add_argument("--name", default="", help="label, shown as created_by")
    create.add_argument(
        "--rate-per-minute", type=int, help="request limit (default $AI_IMPACT_RATE_PER_MINUTE)"
    )
    token.add_parser("list", help="list tokens (never their secrets)")
    revoke = token.add_parser("revoke", help="revoke a token")
    revoke.add_argument("id", type=int)

    project = commands.add_parser("project", help="BigQuery projects").add_subparsers(
        dest="action", required=True
    )
    mapping = project.add_parser("map", help="estimate this project's calls with a customer's")
    mapping.add_argument("project")
    mapping.add_argument("--customer", required=True)
    project.add_parser("list", help="list project mappings")

    _estimate_parser(commands)
    commands.add_parser("dev-token", help="print the local admin token (created once)")
    document = commands.add_parser("openapi", help="write the OpenAPI document")
    document.add_argument("path", type=Path)
    return parser


def _estimate_parser(commands: argparse._SubParsersAction) -> None:
    from ai_impact.io.presets import PRESETS

    estimate = commands.add_parser(
        "estimate",
        help="estimate the impacts of log files (CSV, JSON lines, Parquet)",
        description="Estimate every request of log files: CSV, JSON lines (plain or .gz), JSON "
        "arrays or Parquet, '-' for standard input. Writes the input columns plus the impact "
        "columns to OUT (.csv, .jsonl, .parquet; '-' for JSON lines on stdout) and prints totals.",
    )
    estimate.add_argument("files", nargs="+", metavar="FILE")
    estimate.add_argument(
        "-o", "--output", metavar="OUT", help="output file (.csv .jsonl .parquet)"
    )
    estimate.add_argument(
        "--from",
        dest="preset",
        choices=list(PRESETS),
        help="log format (default: detected from the columns)",
    )
    estimate.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COL=FIELD",
        help="read request field FIELD from column COL (repeatable; a.b for nested values)",
    )
    estimate.add_argument(
        "--ranges",
        action="store_true",
        help="add the low and high (10-90%%) of every impact column and the confidence tier",
    )
    estimate.add_argument("--report", metavar="HTML", help="write a self-contained HTML report")
    estimate.add_argument("--png", metavar="DIR", help="write the report's charts as PNG files")
    estimate.add_argument("--top", type=int, default=10, help="rows of the summary tables (10)")
    estimate.add_argument(
        "--chunk-rows", type=int, default=50_000, help="rows read and estimated at a time"
    )
    estimate.add_argument("-q", "--quiet", action="store_true", help="no summary, no progress")


def _estimate(args: argparse.Namespace) -> int:
    from ai_impact.io import InputError, MappingError, Progress, Summary, parse_map, run

    prog = "ai-impact estimate"
    try:
        overrides = parse_map(args.map)
        if args.chunk_rows < 1:
            raise ValueError("--chunk-rows must be at least 1")
        progress = Progress.auto(False if args.quiet else None)
        if args.report or args.png:
            from ai_impact.io import report

            report.check_destinations(args.report, args.png)

        def reports(summary: Summary) -> None:  # before the output is committed
            if args.report:
                report.write_html(summary, args.report)
            if args.png:
                report.write_png(summary, args.png)

        summary = run(
            args.files,
            args.output,
            args.preset,
            overrides,
            chunk_rows=args.chunk_rows,
            progress=progress,
            ranges=args.ranges,
            before_commit=reports,
        )
    except (InputError, MappingError, ValueError, OSError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; nothing written", file=sys.stderr)
        return 130
    if not args.quiet:
        out = sys.stderr if args.output == "-" else sys.stdout
        print(summary.table(args.top), file=out)
    return 0


def _token(store: Store, args: argparse.Namespace) -> int:
    if args.action == "create":
        token, secret = issue_token(
            store, args.role, args.customer, args.name, args.rate_per_minute
        )
        print(secret)
        print(f"token {token.id}: {token.role} of customer {token.customer!r}", file=sys.stderr)
    elif args.action == "list":
        for t in store.tokens():
            state = "revoked" if t.revoked else "active"
            rate = t.rate_per_minute if t.rate_per_minute is not None else "default"
            print(f"{t.id}\t{t.role}\t{t.customer}\t{t.name}\t{rate}/min\t{state}\t{t.created_at}")
    elif not store.revoke_token(args.id):
        print(f"no active token {args.id}", file=sys.stderr)
        return 1
    return 0


def _project(store: Store, args: argparse.Namespace) -> int:
    if args.action == "map":
        store.map_project(args.project, store.customer_id(args.customer))
    else:
        for project, customer_id in store.projects():
            print(f"{project}\t{customer_id}")
    return 0


def _dev_token(store: Store, secret_path: Path) -> int:
    """Print the development token, kept in ``secret_path`` (mode 0600, next to the store) so
    that it stays valid across runs; a new one replaces it only if that token is gone."""
    secret = secret_path.read_text(encoding="utf-8").strip() if secret_path.exists() else ""
    token = store.token(hash_token(secret)) if secret else None
    if token is None or token.name != DEV_TOKEN_NAME:
        store.revoke_tokens_named(DEV_TOKEN_NAME)
        _, secret = issue_token(store, "admin", DEV_CUSTOMER, DEV_TOKEN_NAME)
        secret_path.parent.mkdir(parents=True, exist_ok=True)
        secret_path.touch(mode=0o600)
        secret_path.write_text(secret + "\n", encoding="utf-8")
    print(f"Development token (admin of customer {DEV_CUSTOMER!r}), kept in {secret_path}:")
    print(f"  export TOKEN={secret}")
    port = os.environ.get("PORT", "8080")
    print(f'  curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:{port}/gpu')
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "estimate":
        return _estimate(args)
    if args.command == "openapi":
        args.path.write_bytes(orjson.dumps(openapi.document(), option=orjson.OPT_INDENT_2) + b"\n")
        return 0
    store = open_store(args.db)
    if args.command == "token":
        return _token(store, args)
    if args.command == "project":
        return _project(store, args)
    db = args.db or default_path()
    return _dev_token(store, db.with_name(db.name + ".dev-token"))


if __name__ == "__main__":
    sys.exit(main())
