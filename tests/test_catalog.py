"""The bundled catalog loads, holds what clients send, and rejects broken rows precisely."""

from __future__ import annotations

import csv
import runpy
import shutil
from pathlib import Path

import pytest

from ai_impact import catalog as cat
from ai_impact.catalog import DATA_DIR, SCHEMAS, CatalogError


@pytest.fixture(scope="module")
def catalog() -> cat.Catalog:
    return cat.load()


def test_sizes(catalog: cat.Catalog) -> None:
    assert len(catalog.gpus) >= 30
    assert len(catalog.nodes) >= 100
    assert len(catalog.services) >= 15
    assert len(catalog.models) >= 100
    countries = {c for c in catalog.grid_intensity["country"] if c}
    assert len(countries) >= 150
    us_states = {
        r
        for c, r in zip(
            catalog.grid_intensity["country"], catalog.grid_intensity["region"], strict=True
        )
        if c == "US" and r
    }
    assert len(us_states) >= 50


@pytest.mark.parametrize(
    "gpu",
    [
        "h100",
        "h200",
        "a100_40gb",
        "a100_80gb",
        "l40",
        "l4",
        "a10",
        "mi300x",
        "mi250x",
        "b200",
        "a10g",
        "l40s",
        "t4",
        "v100",
    ],
)
def test_hosted_api_gpu_ids(catalog: cat.Catalog, gpu: str) -> None:
    row = catalog.gpus.find(gpu)
    assert row is not None
    assert catalog.gpus["gpu_id"][row] == gpu


@pytest.mark.parametrize(
    ("alias", "model_id"),
    [
        ("gpt-4o", "gpt_4o"),
        ("gpt-4o-2024-08-06", "gpt_4o"),
        ("openai/gpt-4o", "gpt_4o"),
        ("meta-llama/Llama-3.1-8B-Instruct", "llama_31_8b"),
        ("meta-llama/Llama-3.1-70B-Instruct", "llama_31_70b"),
        ("llama_31_8b", "llama_31_8b"),
    ],
)
def test_model_strings_clients_send(catalog: cat.Catalog, alias: str, model_id: str) -> None:
    row = catalog.models.find(alias)
    assert row is not None, alias
    assert catalog.models["model_id"][row] == model_id


def test_claude_35_sonnet_snapshot_resolves(catalog: cat.Catalog) -> None:
    assert catalog.models.find("claude-3-5-sonnet-20241022") is not None


@pytest.mark.parametrize(
    "service",
    [
        "openai",
        "azure-openai",
        "anthropic",
        "aws-bedrock",
        "google-vertex",
        "mistral",
        "cohere",
        "groq",
        "together",
        "fireworks",
        "deepinfra",
        "huggingface",
        "litellm",
        "openrouter",
    ],
)
def test_services_resolve_in_both_spellings(catalog: cat.Catalog, service: str) -> None:
    assert catalog.services.find(service) is not None
    assert catalog.services.find(service.replace("-", "_")) is not None


def test_every_row_cites_a_source(catalog: cat.Catalog) -> None:
    for name, table in catalog.tables.items():
        assert all(s and s.strip() for s in table["source"]), name


def break_copy(tmp_path: Path, file: str, line: int, field: str, value: str) -> Path:
    """Copy the data folder and set ``field`` of CSV line ``line`` to ``value``."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    path = target / file
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
        header = list(rows[0])
    rows[line - 2][field] = value
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(rows)
    return target


@pytest.mark.parametrize(
    ("file", "line", "field", "value", "problem"),
    [
        ("gpus.csv", 3, "tdp_w", "hot", "not a number"),
        ("gpus.csv", 4, "memory_gb", "-80", "out of range"),
        ("gpus.csv", 5, "source", "", "value required"),
        ("nodes.csv", 2, "gpu_id", "no_such_gpu", "not in gpus.csv"),
        ("nodes.csv", 7, "gpu_count", "2.5", "not an integer"),
        ("services.csv", 2, "default_node_id", "aws:nothing", "not in nodes.csv"),
        ("services.csv", 3, "pue", "0.5", "out of range"),
        ("models.csv", 2, "total_params_billions", "inf", "not finite"),
        ("grid_intensity.csv", 2, "gco2e_per_kwh", "5000", "out of range"),
    ],
)
def test_broken_rows_name_file_line_and_field(
    tmp_path: Path, file: str, line: int, field: str, value: str, problem: str
) -> None:
    data = break_copy(tmp_path, file, line, field, value)
    with pytest.raises(CatalogError) as failure:
        cat.load(data)
    message = str(failure.value)
    assert message.startswith(f"{file}, line {line}, field {field}:")
    assert problem in message


def test_duplicate_ids_and_aliases_are_rejected(tmp_path: Path) -> None:
    models = cat.load().models
    first_id = models["model_id"][0]
    data = break_copy(tmp_path, "models.csv", 5, "model_id", first_id.upper())
    with pytest.raises(CatalogError, match="already names the row at line 2"):
        cat.load(data)
    data = break_copy(tmp_path / "b", "gpus.csv", 6, "aliases", "h100")
    with pytest.raises(CatalogError, match=r"gpus.csv, line \d+, field (aliases|gpu_id)"):
        cat.load(data)


def test_missing_file_and_column(tmp_path: Path) -> None:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    (target / "nodes.csv").unlink()
    with pytest.raises(CatalogError, match=r"nodes\.csv: file missing"):
        cat.load(target)
    schema = SCHEMAS["water_intensity"]
    path = target / schema.file
    text = path.read_text(encoding="utf-8").replace("water_offsite_l_per_kwh", "water", 1)
    path.write_text(text, encoding="utf-8")
    shutil.copy(DATA_DIR / "nodes.csv", target / "nodes.csv")
    with pytest.raises(CatalogError, match=r"water_intensity\.csv, line 1, field water_offsite"):
        cat.load(target)


def test_invalid_utf8_names_file_and_line(tmp_path: Path) -> None:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    path = target / "gpus.csv"
    lines = path.read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b",", b",\xff", 1)  # line 4: a Latin-1 byte after the first comma
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(CatalogError, match=r"^gpus\.csv, line 4: not valid UTF-8 \(byte 0xff"):
        cat.load(target)


def test_extra_trailing_fields_are_an_error(tmp_path: Path) -> None:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    path = target / "nodes.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    header = lines[0].split(",")
    lines[4] += ",stray"  # line 5
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(CatalogError) as failure:
        cat.load(target)
    assert str(failure.value).startswith(f"nodes.csv, line 5, field {header[-1]}: 1 field(s) after")


def test_server_stops_at_start_on_a_catalog_that_does_not_validate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The entry point the server loads (function/main.py) exits naming file, line and field,
    instead of starting with ready:false."""
    data = break_copy(tmp_path, "gpus.csv", 3, "tdp_w", "hot")
    monkeypatch.setattr(cat, "default", lambda: cat.load(data))
    main = Path(__file__).parent.parent / "function" / "main.py"
    with pytest.raises(SystemExit) as stop:
        runpy.run_path(str(main))
    assert "gpus.csv, line 3, field tdp_w: 'hot' is not a number" in str(stop.value.code)
    assert '"severity":"CRITICAL"' in capsys.readouterr().out
