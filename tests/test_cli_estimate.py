"""`ai-impact estimate`: formats in and out, streaming in chunks, bad input, atomic output."""

from __future__ import annotations

import csv
import gzip
import io as std_io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import ai_impact
from ai_impact import cli
from ai_impact import io as aio
from ai_impact.io import report

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "docs" / "samples"
IMPACTS = aio.impact_column_names()


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_csv_output_is_input_columns_then_impacts_equal_to_estimate(tmp_path, capsys):
    out = tmp_path / "out.csv"
    assert cli.main(["estimate", str(SAMPLES / "scope3_rows.csv"), "-o", str(out)]) == 0
    rows = read_csv(out)
    source = read_csv(SAMPLES / "scope3_rows.csv")
    assert list(rows[0]) == list(source[0]) + IMPACTS
    assert [r["request_id"] for r in rows] == [r["request_id"] for r in source]
    expected = ai_impact.estimate([{k: v for k, v in r.items() if v != ""} for r in source])
    for row, reply in zip(rows, expected, strict=True):
        assert float(row["total_usage_energy_wh"]) == reply["total_impact"]["usage_energy_wh"]
        assert float(row["inference_embodied_water_ml"]) == pytest.approx(
            reply["inference_impact"]["embodied_water_ml"], rel=1e-15
        )
        assert row["error_code"] == ((reply["error"] or {}).get("code") or "")
    summary = capsys.readouterr().out
    assert "rows 6" in summary and "errors 1" in summary and "unknown_model" in summary


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".parquet", ".csv.gz"])
def test_every_output_format_holds_the_same_numbers(tmp_path, suffix):
    reference = tmp_path / "ref.csv"
    out = tmp_path / f"out{suffix}"
    sample = str(SAMPLES / "litellm_spend_logs.csv")
    assert cli.main(["estimate", sample, "-o", str(reference), "-q"]) == 0
    assert cli.main(["estimate", sample, "-o", str(out), "-q"]) == 0
    want = [float(r["total_usage_emissions_gco2e"]) for r in read_csv(reference)]
    if suffix.startswith(".jsonl"):
        raw = gzip.decompress(out.read_bytes()) if suffix.endswith(".gz") else out.read_bytes()
        got = [orjson.loads(line)["total_usage_emissions_gco2e"] for line in raw.splitlines()]
    elif suffix == ".parquet":
        got = pq.read_table(out).column("total_usage_emissions_gco2e").to_pylist()
    else:
        with gzip.open(out, "rt", newline="") as f:
            got = [float(r["total_usage_emissions_gco2e"]) for r in csv.DictReader(f)]
    assert got == want
    assert len(want) == 8


def test_litellm_own_model_id_is_kept_as_input_but_not_read(tmp_path):
    out = tmp_path / "out.jsonl"
    assert (
        cli.main(["estimate", str(SAMPLES / "litellm_spend_logs.csv"), "-o", str(out), "-q"]) == 0
    )
    first = orjson.loads(out.read_bytes().splitlines()[0])
    assert first["model_id"].startswith("7b1f4c0e")  # LiteLLM's deployment id, passed through
    assert first["error_code"] is None and first["total_usage_energy_wh"] > 0


def test_chunks_do_not_change_the_answer(tmp_path):
    one, many = tmp_path / "one.csv", tmp_path / "many.csv"
    sample = str(SAMPLES / "otel_spans.jsonl")
    assert cli.main(["estimate", sample, "-o", str(one), "-q"]) == 0
    assert cli.main(["estimate", sample, "-o", str(many), "-q", "--chunk-rows", "2"]) == 0
    assert one.read_bytes() == many.read_bytes()


def test_parquet_in_keeps_typed_columns_and_matches_the_row_path(tmp_path):
    rows = [
        {"model_id": m, "input_tokens": 100 + i, "output_tokens": 50 + 3 * i, "country": c}
        for i, (m, c) in enumerate(
            [("gpt-4o", "US"), ("llama_31_8b", "FR"), ("nope", None), ("llama_31_70b", "DE")] * 5
        )
    ]
    source = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist(rows), source)
    out = tmp_path / "out.parquet"
    assert cli.main(["estimate", str(source), "-o", str(out), "-q", "--chunk-rows", "7"]) == 0
    table = pq.read_table(out)
    assert table.schema.field("input_tokens").type == pa.int64()
    assert table.column_names == ["model_id", "input_tokens", "output_tokens", "country", *IMPACTS]
    expected = ai_impact.estimate(rows)
    assert table.column("total_usage_energy_wh").to_pylist() == [
        r["total_impact"]["usage_energy_wh"] for r in expected
    ]
    assert table.column("error_code").to_pylist().count("unknown_model") == 5


def test_csv_cells_are_quoted_as_the_csv_module_quotes_them(tmp_path):
    """The CSV writer builds its text column by column; the csv module reads it back to the
    same cells, and the floats to the same bits as estimate()'s."""
    notes = ["plain", "a,comma", 'a "quote"', "two\nlines", "", "é ü 😀", "cr\rhere"]
    rows = [
        {"model_id": "gpt-4o", "note": note, "input_tokens": str(10 + i), "output_tokens": "5"}
        for i, note in enumerate(notes)
    ]
    source = tmp_path / "in.csv"
    with open(source, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "out.csv"
    assert cli.main(["estimate", str(source), "-o", str(out), "-q", "--from", "scope3"]) == 0
    got = read_csv(out)
    assert [r["note"] for r in got] == notes
    expected = ai_impact.estimate([{k: v for k, v in r.items() if v} for r in rows])
    for row, reply in zip(got, expected, strict=True):
        for block in ("inference", "total"):
            for metric, value in reply[f"{block}_impact"].items():
                assert float(row[f"{block}_{metric}"]) == value  # shortest text, same bits
    with open(out, "rb") as f:  # the csv module's own line ends
        assert f.readline().endswith(b"\r\n")


def test_parquet_of_many_row_groups_streams_in_order(tmp_path):
    """Row groups smaller and larger than a chunk, read in runs: every row once, in order."""
    rows = [
        {"model_id": ["gpt-4o", "llama_31_8b"][i % 2], "input_tokens": i + 1, "output_tokens": 7}
        for i in range(50)
    ]
    source = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist(rows), source, row_group_size=3)
    big = tmp_path / "big.parquet"
    pq.write_table(pa.Table.from_pylist(rows), big, row_group_size=40)
    want = [r["total_impact"]["usage_energy_wh"] for r in ai_impact.estimate(rows)]
    for path in (source, big):
        out = tmp_path / f"out_{path.name}"
        assert cli.main(["estimate", str(path), "-o", str(out), "-q", "--chunk-rows", "7"]) == 0
        table = pq.read_table(out)
        assert table.column("input_tokens").to_pylist() == list(range(1, 51))
        assert table.column("total_usage_energy_wh").to_pylist() == want


def test_summary_days_are_each_one_key(tmp_path):
    """Text times of one day (all distinct) make one day key, summed over its rows."""
    rows = [
        {
            "model_id": "gpt-4o",
            "input_tokens": 10,
            "output_tokens": 5,
            "utc_datetime": f"2025-03-0{1 + i % 2}T00:00:{i:02d}Z",
        }
        for i in range(40)
    ] + [{"model_id": "gpt-4o", "input_tokens": 1, "output_tokens": 1, "utc_datetime": "soon"}]
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join(orjson.dumps(r) for r in rows))
    summary = aio.run([str(source)], None, chunk_rows=16)
    days = summary.groups["day"]
    assert sorted(days) == ["(not given)", "2025-03-01", "2025-03-02"]
    assert days["2025-03-01"][0] == days["2025-03-02"][0] == 20
    assert days["(not given)"][0] == 1


def test_parquet_timestamps_and_structs(tmp_path):
    import datetime as dt

    table = pa.table(
        {
            "model": ["gpt-4o", "gpt-4o"],
            "custom_llm_provider": ["openai", "openai"],
            "prompt_tokens": [10, 20],
            "completion_tokens": [5, 6],
            "spend": [0.1, 0.2],
            "call_type": ["completion"] * 2,
            "startTime": pa.array(
                [dt.datetime(2025, 3, 1, 12), dt.datetime(2024, 1, 2, 3)], pa.timestamp("us")
            ),
            "metadata": [{"usage_object": {"prompt_tokens_details": {"cached_tokens": 4}}}, None],
        }
    )
    mapper = aio.Mapper(aio.PRESETS["litellm"])
    got = mapper.rows(batch=table.to_batches()[0])
    assert got[0]["utc_datetime"] == "2025-03-01T12:00:00Z"
    assert got[0]["input_cached_tokens"] == 4
    assert got[1]["input_cached_tokens"] is None
    assert got == mapper.rows(table.to_pylist())  # the Arrow path reads what the row path reads
    source, out = tmp_path / "in.parquet", tmp_path / "out.csv"
    pq.write_table(table, source)
    assert cli.main(["estimate", str(source), "-o", str(out), "-q"]) == 0
    written = read_csv(out)
    assert [r["startTime"] for r in written] == ["2025-03-01T12:00:00", "2024-01-02T03:00:00"]
    assert [r["prompt_tokens"] for r in written] == ["10", "20"]  # Arrow's digits
    assert orjson.loads(written[0]["metadata"]) == table.column("metadata")[0].as_py()
    assert written[1]["metadata"] == "" and written[0]["spend"] == "0.1"


def test_unreadable_lines_become_counted_error_rows(tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"model_id": "gpt-4o", "output_tokens": 5}\n{not json\n\n"just text"\n'
        '{"model_id": "gpt-4o", "output_tokens": "many"}\n'
    )
    out = tmp_path / "out.csv"
    assert cli.main(["estimate", str(source), "-o", str(out)]) == 0
    rows = read_csv(out)
    assert [r["error_code"] for r in rows] == [
        "",
        "invalid_field",
        "invalid_field",
        "invalid_field",
    ]
    assert rows[1]["error_message"].startswith("line 2 is not valid JSON")
    assert rows[3]["error_field"] == "output_tokens"
    assert "errors 3" in capsys.readouterr().out


def test_json_lines_are_kept_as_written_and_the_impacts_added(tmp_path):
    """Each output line is its input line as written (spacing, key order, 1.0, a repeated
    key, line ends), its impact members added; a line with no member or no object gets an
    object of impacts alone; failed rows' ranges are null. Every line is valid JSON whose
    numbers are estimate()'s, to the bit."""
    lines = [
        '{ "output_tokens" : 5.0,  "model_id":"gpt-4o",  "note": "é 😀" }  \r\n',
        "{}\n",
        '{"model_id": "gpt-4o", "model_id": "llama_31_8b", "input_tokens": 10}\n',
        "[1, 2]\n",
        "{broken\n",
        '{"model_id": "nope", "output_tokens": 3}',
    ]
    source = tmp_path / "in.jsonl"
    source.write_bytes("".join(lines).encode())
    out = tmp_path / "out.jsonl"
    args = ["estimate", str(source), "-o", str(out), "-q", "--from", "scope3", "--ranges"]
    assert cli.main([*args, "--chunk-rows", "4"]) == 0
    written = out.read_bytes().splitlines(keepends=True)
    assert len(written) == len(lines) and all(w.endswith(b"}\n") for w in written)
    assert written[0].startswith(lines[0].rstrip()[:-1].encode() + b',"inference_usage_energy_wh":')
    assert written[2].startswith(lines[2][:-2].encode() + b",")
    for i in (1, 3, 4):  # no member, no object, unreadable: the impacts alone
        assert written[i].startswith(b'{"inference_usage_energy_wh":')
    rows = [orjson.loads(w) for w in written]
    readable = [{"output_tokens": 5.0, "model_id": "gpt-4o", "note": "é 😀"}, {}]
    readable += [
        {"model_id": "llama_31_8b", "input_tokens": 10},
        [1, 2],
        "x",
        orjson.loads(lines[5]),
    ]
    expected = ai_impact.estimate(readable, ranges=True)
    names = aio.impact_column_names(True)
    for row, given, reply in zip(rows, readable, expected, strict=True):
        assert list(row)[-len(names) :] == names
        if isinstance(given, dict):
            assert {k: row[k] for k in given} == given
        if reply["error"] is None:
            for block in ("inference_impact", "total_impact"):
                for metric, value in reply[block].items():
                    assert row[f"{block.removesuffix('_impact')}_{metric}"] == value
        else:
            assert row["total_usage_energy_wh_low"] is None and row["error_code"]
    assert rows[4]["error_message"].startswith("line 5 is not valid JSON")
    assert [r["error_code"] is None for r in rows] == [True, False, True, False, False, False]
    assert cli.main(args) == 0 and out.read_bytes() == b"".join(written)  # chunks: same text


def test_broken_csv_line_is_an_error_row(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("model_id,output_tokens\ngpt-4o,5\ngpt-4o,5,extra\nllama_31_8b,7\n")
    out = tmp_path / "out.jsonl"
    assert cli.main(["estimate", str(source), "-o", str(out), "-q"]) == 0
    rows = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert [r["error_code"] for r in rows] == [None, "invalid_field", None]
    assert "3 fields, the header 2" in rows[1]["error_message"]
    assert "model_id" not in rows[1]  # written as a row that was no object: no input fields
    assert rows[0]["model_id"] == "gpt-4o"


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_broken_csv_lines_the_same_both_ways(tmp_path, suffix):
    """CSV chunks are Arrow batches on the columnar path; the row path reads them as rows:
    both give the same output, broken lines and a repeated column name included."""
    source = tmp_path / "in.csv"
    source.write_text(
        'model_id,output_tokens,note\ngpt-4o,5,"a,b"\ngpt-4o,5,x,extra\n"bad"quote,1,\n'
        "llama_31_8b,,\nllama_31_8b,7,z\n"
    )
    twice = tmp_path / "twice.csv"
    twice.write_text("model_id,output_tokens,model_id\nnope,5,gpt-4o\nshort\n")
    for path in (source, twice):
        fast, slow = tmp_path / f"fast{suffix}", tmp_path / f"slow{suffix}"
        assert aio.run([str(path)], str(fast), chunk_rows=2).rows > 1
        aio.run([str(path)], str(slow), chunk_rows=2, estimate=ai_impact.estimate)
        assert fast.read_bytes() == slow.read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv"], "missing.csv: no such file"),
        ([str(ROOT / "README.md")], "unknown input format '.md'"),
        ([str(SAMPLES / "scope3_rows.csv"), "--from", "otel"], "finds no model column"),
        ([str(SAMPLES / "scope3_rows.csv"), "--map", "x=model_id"], "does not have: model_id<-x"),
        ([str(SAMPLES / "scope3_rows.csv"), "--map", "model_id=modelid"], "not a request field"),
        ([str(SAMPLES / "scope3_rows.csv"), "-o", "out.xlsx"], "unknown output format"),
        ([str(SAMPLES)], "samples: is a folder; name the files in it"),
        ([str(SAMPLES / "scope3_rows.csv"), "--report", "no/r.html"], "folder no does not exist"),
        (
            [str(SAMPLES / "scope3_rows.csv"), "--png", str(SAMPLES / "scope3_rows.csv")],
            "is a file",
        ),
    ],
)
def test_bad_invocations_exit_non_zero_with_one_line(tmp_path, capsys, args, message):
    os.chdir(tmp_path)
    assert cli.main(["estimate", *args]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and err.startswith("ai-impact estimate: error:")


def test_undetectable_format_names_the_presets(tmp_path, capsys):
    source = tmp_path / "in.csv"
    source.write_text("when,what\n2025-01-01,x\n")
    assert cli.main(["estimate", str(source)]) == 1
    assert "--from litellm|otel|langfuse|openai-usage|scope3" in capsys.readouterr().err


def test_a_failed_run_leaves_no_output_and_keeps_the_old_one(tmp_path):
    out = tmp_path / "out.csv"
    out.write_text("previous results\n")
    sample = str(SAMPLES / "scope3_rows.csv")
    assert cli.main(["estimate", sample, str(tmp_path / "gone.csv"), "-o", str(out), "-q"]) == 1
    assert out.read_text() == "previous results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]  # no temporary file left


def test_a_failed_report_leaves_the_old_output(tmp_path, monkeypatch):
    """The report and the charts are written before the output takes its name: should they
    fail (a full disk), the previous output is kept and nothing else is left."""
    out = tmp_path / "out.csv"
    out.write_text("previous results\n")

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(report, "render_html", full)
    html = str(tmp_path / "r.html")
    args = ["estimate", str(SAMPLES / "scope3_rows.csv"), "-o", str(out), "--report", html, "-q"]
    assert cli.main(args) == 1
    assert out.read_text() == "previous results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl.gz", ".parquet"])
def test_outputs_get_the_usual_file_mode(tmp_path, suffix):
    """A temporary file is private (0600); the output takes the mode any new file gets."""
    out = tmp_path / f"out{suffix}"
    previous = os.umask(0o027)
    try:
        assert cli.main(["estimate", str(SAMPLES / "scope3_rows.csv"), "-o", str(out), "-q"]) == 0
    finally:
        os.umask(previous)
    assert out.stat().st_mode & 0o777 == 0o640


def test_map_adds_to_the_detected_format(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(
        "request_id,call_type,spend,model,custom_llm_provider,prompt_tokens,completion_tokens,"
        "startTime,dc\nr1,completion,0.1,gpt-4o,openai,100,20,2025-03-01 12:00:00,FR\n"
    )
    out = tmp_path / "out.jsonl"
    assert cli.main(["estimate", str(source), "--map", "dc=country", "-o", str(out), "-q"]) == 0
    plain = ai_impact.estimate(
        [
            {
                "model_id": "gpt-4o",
                "managed_service_id": "openai",
                "input_tokens": 100,
                "output_tokens": 20,
                "utc_datetime": "2025-03-01 12:00:00",
                "country": "FR",
            }
        ]
    )
    row = orjson.loads(out.read_bytes())
    assert row["total_usage_emissions_gco2e"] == plain[0]["total_impact"]["usage_emissions_gco2e"]


def run_cli(*args: str, stdin: bytes) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "function")}
    return subprocess.run(
        [sys.executable, "-m", "ai_impact.cli", *args],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=120,
    )


@pytest.mark.parametrize("sample", ["scope3_rows.csv", "otel_spans.jsonl"])
def test_stdin_plain_and_gzip_to_stdout(sample):
    data = (SAMPLES / sample).read_bytes()
    plain = run_cli("estimate", "-", "-o", "-", stdin=data)
    zipped = run_cli("estimate", "-", "-o", "-", stdin=gzip.compress(data))
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout == zipped.stdout
    lines = plain.stdout.splitlines()
    assert len(lines) == (6 if sample.endswith(".csv") else 5)
    assert b"rows" in plain.stderr  # the summary goes to stderr when the data uses stdout
    assert b"rows/s" not in plain.stderr  # no progress when stderr is not a terminal


def test_parquet_on_stdin(tmp_path):
    buffer = pa.BufferOutputStream()
    pq.write_table(pa.table({"model_id": ["gpt-4o"], "output_tokens": [10]}), buffer)
    done = run_cli("estimate", "-", "-o", "-", "-q", stdin=buffer.getvalue().to_pybytes())
    assert done.returncode == 0, done.stderr
    assert orjson.loads(done.stdout)["error_code"] is None


def test_progress_shows_rate_and_eta():
    stream = std_io.StringIO()
    progress = aio.Progress(stream, started=0.0)
    progress.update(1000, 0.5, 0, 1)
    assert "rows/s" in stream.getvalue() and "ETA" in stream.getvalue()
    silent = aio.Progress.auto(enabled=False)
    assert silent.stream is None


def test_ranges_hook_flattens_ranges_and_confidence():
    replies = ai_impact.estimate([{"model_id": "gpt-4o", "output_tokens": 10}])
    reply = dict(replies[0])
    reply["ranges"] = {"total_impact": {"usage_energy_wh": [0.5, 2.0]}}
    reply["confidence"] = {"tier": "extrapolated", "reasons": [], "method": "m"}
    columns = aio.impact_columns([reply], ranges=True)
    assert list(columns) == aio.impact_column_names(ranges=True)
    assert columns["total_usage_energy_wh_low"][0] == 0.5
    assert columns["total_usage_energy_wh_high"][0] == 2.0
    assert np.isnan(columns["inference_usage_water_ml_low"][0])
    assert columns["confidence_tier"][0] == "extrapolated"


def test_token_commands_still_work(tmp_path, capsys):
    db = str(tmp_path / "store.sqlite3")
    assert cli.main(["--db", db, "token", "create", "--role", "admin"]) == 0
    assert cli.main(["--db", db, "token", "list"]) == 0
    assert "admin" in capsys.readouterr().out


def test_a_row_that_makes_estimate_raise_costs_only_itself(tmp_path):
    def fragile(rows):
        if any(r.get("model_id") == "boom" for r in rows if isinstance(r, dict)):
            raise RuntimeError("boom")
        return ai_impact.estimate(rows)

    source = tmp_path / "in.csv"
    source.write_text("model_id,output_tokens\ngpt-4o,5\nboom,5\nllama_31_8b,7\n")
    out = tmp_path / "out.jsonl"
    summary = aio.run([str(source)], str(out), estimate=fragile)
    rows = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert [r["error_code"] for r in rows] == [None, "invalid_field", None]
    assert "could not be estimated (boom)" in rows[1]["error_message"]
    assert rows[2]["total_usage_energy_wh"] > 0
    assert summary.error_rows == 1


def test_ranges_hook_in_the_pipeline(tmp_path):
    def with_ranges(rows, ranges=False):
        replies = ai_impact.estimate(rows)
        for reply in replies:
            energy = reply["total_impact"]["usage_energy_wh"]
            reply["ranges"] = {"total_impact": {"usage_energy_wh": [energy / 2, energy * 2]}}
            reply["confidence"] = {"tier": "assumed"}
        return replies

    out = tmp_path / "out.csv"
    aio.run([str(SAMPLES / "scope3_rows.csv")], str(out), estimate=with_ranges, ranges=True)
    rows = read_csv(out)
    assert list(rows[0])[-len(aio.impact_column_names(True)) :] == aio.impact_column_names(True)
    assert float(rows[0]["total_usage_energy_wh_high"]) == 2 * float(
        rows[0]["total_usage_energy_wh"]
    )
    assert rows[0]["confidence_tier"] == "assumed"
    with pytest.raises(ValueError, match="does not give ranges"):
        aio.run([str(SAMPLES / "scope3_rows.csv")], None, estimate=lambda rows: [], ranges=True)


def test_estimating_an_output_again_replaces_its_impact_columns(tmp_path):
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    sample = str(SAMPLES / "openai_batch_output.jsonl")
    assert cli.main(["estimate", sample, "-o", str(first), "-q"]) == 0
    assert (
        cli.main(["estimate", str(first), "--from", "openai-usage", "-o", str(second), "-q"]) == 0
    )
    again = [orjson.loads(line) for line in second.read_bytes().splitlines()]
    once = [orjson.loads(line) for line in first.read_bytes().splitlines()]
    assert again == once  # same keys, same values: no duplicated key, no stale number
    assert second.read_bytes().count(b'"total_usage_energy_wh"') == len(once)


def test_ranges_flag_adds_ranges_and_tiers_equal_to_estimate(tmp_path, capsys):
    out = tmp_path / "out.csv"
    sample = SAMPLES / "scope3_rows.csv"
    assert cli.main(["estimate", str(sample), "-o", str(out), "--ranges"]) == 0
    rows = read_csv(out)
    assert list(rows[0])[-len(aio.impact_column_names(True)) :] == aio.impact_column_names(True)
    source = read_csv(sample)
    expected = ai_impact.estimate(
        [{k: v for k, v in r.items() if v != ""} for r in source], ranges=True
    )
    tiers = set()
    for row, reply in zip(rows, expected, strict=True):
        if reply["error"]:
            assert row["confidence_tier"] == "" and row["total_usage_energy_wh_low"] == ""
            continue
        low, high = reply["ranges"]["total_impact"]["usage_emissions_gco2e"]
        assert float(row["total_usage_emissions_gco2e_low"]) == low
        assert float(row["total_usage_emissions_gco2e_high"]) == high
        assert low < float(row["total_usage_emissions_gco2e"]) < high
        assert row["confidence_tier"] == reply["confidence"]["tier"]
        tiers.add(row["confidence_tier"])
    assert tiers == {"calibrated", "extrapolated", "assumed"}
    printed = capsys.readouterr().out
    assert "ranges (sum of the rows' 10-90% ends)" in printed and "confidence" in printed
