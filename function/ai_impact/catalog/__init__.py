"""The reference catalog: CSV tables in ``ai_impact/data``, validated on load.

Each table is declared once below (columns, types, ranges, keys and references). Loading checks
every row and fails fast with the file, line and field of the first problem, so a broken edit of
the data can never reach an estimate. The same CSVs are loaded into BigQuery by Terraform.

Lookups are case-insensitive and treat ``_`` and ``-`` alike (``huggingface_hub`` and
``huggingface-hub``, ``gpt_4o`` and ``gpt-4o``), see :func:`lookup_key`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from ai_impact.fields import DATATYPE_BYTES

DATA_DIR = Path(__file__).parent.parent / "data"


class CatalogError(ValueError):
    """A reference-data file breaks its schema; the message names the file, line and field."""


def lookup_key(value: str | float) -> str:
    """The normalised form of an id or alias used for lookups: trimmed, lower case, '_' -> '-'.
    Numbers (years in composite keys) become their integer text."""
    if not isinstance(value, str):
        return str(int(value))
    return value.strip().lower().replace("_", "-")


@dataclass(frozen=True)
class Col:
    """A column: ``kind`` is "str", "float" or "int"; bounds are inclusive unless ``above``."""

    name: str
    kind: str = "str"
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    above: bool = False  # minimum is exclusive
    choices: tuple[str, ...] = ()  # allowed values of a str column (none: free text)


@dataclass(frozen=True)
class Schema:
    file: str
    columns: tuple[Col, ...]
    key: tuple[str, ...]  # unique (after lookup_key) per row
    aliases: str | None = None  # column of '|'-separated aliases, unique together with the key
    extra_keys: tuple[str, ...] = ()  # other columns also resolvable to the row (e.g. hf path)


def _pos(name: str, maximum: float | None = None, required: bool = True) -> Col:
    return Col(name, "float", required, 0, maximum, above=True)


def _nonneg(name: str, maximum: float | None = None, required: bool = True) -> Col:
    return Col(name, "float", required, 0, maximum)


_SOURCE = Col("source", required=True)
_NOTES = Col("notes")
# Columns several tables share, with one range each.
_YEAR = Col("year", "int", True, 1990, 2100)
_PUE = Col("pue", "float", False, 1, 3)  # optional where a fleet or year row may lack it
_WUE = _nonneg("wue_l_per_kwh", 20, required=False)
_CONTRACT = _nonneg("contract_gco2e_per_kwh", 2000, required=False)
_CFE = Col("cfe_pct", "float", False, 0, 100)  # carbon-free share, market basis
# What a carbon intensity counts: lifecycle (upstream fuel, construction) or combustion only;
# generation in the zone (production) or electricity used there, imports included (consumption).
GRID_BASES = (
    "lifecycle, production",
    "lifecycle, consumption",
    "combustion, production",
    "combustion, consumption",
)
_BASIS = Col("basis", required=True, choices=GRID_BASES)
# GPU microarchitectures (gpus.csv generation): which datatype factors of the text model apply
# (engine.text.BLACKWELL_GENERATIONS); the rest name the chip family for the reader.
GPU_GENERATIONS = (
    "kepler", "maxwell", "pascal", "volta", "turing", "ampere", "ada", "hopper", "blackwell",
    "gcn5", "rdna", "cdna2", "cdna3", "gaudi3", "neuroncore_v2", "neuroncore_v3",
    "tpu_v4", "tpu_v5e", "tpu_v5p", "tpu_v6e",
)  # fmt: skip

SCHEMAS: dict[str, Schema] = {
    "gpus": Schema(
        "gpus.csv",
        (
            Col("gpu_id", required=True),
            Col("name", required=True),
            Col("vendor"),
            Col("aliases"),
            _pos("memory_gb", 2048),
            _pos("tdp_w", 5000),
            _nonneg("idle_power_w", 5000),
            _pos("memory_bandwidth_tbps", 100),
            _pos("bf16_dense_tflops", 100_000),
            Col("generation", choices=GPU_GENERATIONS),
            _pos("embodied_emissions_kgco2e", 100_000),
            _nonneg("embodied_water_l", 100_000),
            _NOTES,
            _SOURCE,
        ),
        key=("gpu_id",),
        aliases="aliases",
    ),
    "nodes": Schema(
        "nodes.csv",
        (
            Col("node_id", required=True),
            Col("cloud_id"),
            Col("cloud_instance_id"),
            Col("gpu_id", required=True),
            Col("gpu_count", "int", True, 1, 10_000),
            Col("cpu_count", "int", True, 1, 10_000),
            _nonneg("idle_power_w_ex_gpu", 100_000),
            _nonneg("embodied_emissions_kgco2e_ex_gpu", 1_000_000),
            _nonneg("embodied_water_l_ex_gpu", 1_000_000),
            Col("use_life_years", "float", True, 1, 30),
            Col("average_utilization_rate", "float", True, 0, 1, above=True),
            _NOTES,
            _SOURCE,
            Col("datacenter_id"),  # where the node runs (custom nodes; resolve.location)
        ),
        key=("node_id",),
    ),
    "services": Schema(
        "services.csv",
        (
            Col("service_id", required=True),
            Col("aliases"),
            Col("name", required=True),
            Col("company"),
            Col("default_node_id", required=True),
            Col("default_cloud_id"),
            Col("default_cloud_region"),
            Col("default_country"),
            Col("default_region"),
            Col("pue", "float", True, 1, 3),
            _nonneg("wue_l_per_kwh", 20),
            Col("serving_datatype", choices=tuple(DATATYPE_BYTES)),
            _pos("serving_batch_size", 65_536, required=False),
            Col("serving_assumption"),
            _NOTES,
            _SOURCE,
        ),
        key=("service_id",),
        aliases="aliases",
    ),
    "models": Schema(
        "models.csv",
        (
            Col("model_id", required=True),
            Col("name"),
            Col("family"),
            Col("developer"),
            Col("hugging_face_path"),
            Col("aliases"),
            Col("task"),
            Col("architecture"),
            _pos("total_params_billions", 100_000, required=False),
            _pos("active_params_billions", 100_000, required=False),
            Col("number_of_experts", "int", False, 1, 100_000),
            _pos("params_per_expert_billions", 100_000, required=False),
            # Hybrid state-space / linear-attention layers (engine.text.Architecture).
            Col("kv_layer_fraction", "float", False, 0, 1),
            _nonneg("recurrent_state_gb", 1000, required=False),
            Col("datatype"),
            Col("params_is_estimate"),
            _pos("total_params_low_billions", 100_000, required=False),
            _pos("total_params_high_billions", 100_000, required=False),
            _pos("active_params_low_billions", 100_000, required=False),
            _pos("active_params_high_billions", 100_000, required=False),
            Col("size_method"),
            Col("size_evidence"),
            Col("modality"),
            _nonneg("training_usage_energy_kwh", 1e12, required=False),
            _nonneg("training_usage_emissions_kgco2e", 1e12, required=False),
            _nonneg("training_usage_water_l", 1e13, required=False),
            _nonneg("training_embodied_emissions_kgco2e", 1e12, required=False),
            _nonneg("training_embodied_water_l", 1e13, required=False),
            _pos("estimated_use_life_days", 36_500, required=False),
            _pos("estimated_requests_per_day", 1e13, required=False),
            Col("fine_tuned_from_model_id"),
            Col("default_steps", "int", False, 1, 10_000),
            Col("default_width_px", "int", False, 1, 9999),
            Col("default_height_px", "int", False, 1, 9999),
            _NOTES,
            _SOURCE,
            Col("generation_method"),  # image/video generators: engine.diffusion.parse_method
        ),
        key=("model_id",),
        aliases="aliases",
        extra_keys=("hugging_face_path",),
    ),
    "grid_intensity": Schema(
        "grid_intensity.csv",
        (
            Col("zone_id", required=True),
            Col("country"),
            Col("region"),
            _YEAR,
            _nonneg("gco2e_per_kwh", 2000),
            _BASIS,
            _NOTES,
            _SOURCE,
        ),
        key=("zone_id", "year"),
    ),
    "water_intensity": Schema(
        "water_intensity.csv",
        (Col("zone_id", required=True), _nonneg("water_offsite_l_per_kwh", 100), _NOTES, _SOURCE),
        key=("zone_id",),
    ),
    "cloud_regions": Schema(
        "cloud_regions.csv",
        (
            Col("cloud_id", required=True),
            Col("cloud_region", required=True),
            Col("country", required=True),
            Col("region"),
            _PUE,
            _WUE,
            _NOTES,
            _SOURCE,
        ),
        key=("cloud_id", "cloud_region"),
    ),
    "cloud_region_intensity": Schema(
        "cloud_region_intensity.csv",
        (
            Col("cloud_id", required=True),
            Col("cloud_region", required=True),
            _YEAR,
            _nonneg("gco2e_per_kwh", 2000),
            _BASIS,
            _CFE,
            _NOTES,
            _SOURCE,
        ),
        key=("cloud_id", "cloud_region", "year"),
    ),
    "provider_efficiency": Schema(
        "provider_efficiency.csv",
        (
            Col("cloud_id", required=True),
            _YEAR,
            _PUE,
            _WUE,
            _NOTES,
            _SOURCE,
        ),
        key=("cloud_id", "year"),
    ),
    "market_factors": Schema(
        "market_factors.csv",
        (
            Col("cloud_id", required=True),
            _YEAR,
            _pos("scope2_location_tco2e", 1e10),
            _nonneg("scope2_market_tco2e", 1e10),
            _NOTES,
            _SOURCE,
        ),
        key=("cloud_id", "year"),
    ),
    "datacenters": Schema(
        "datacenters.csv",
        (
            Col("datacenter_id", required=True),
            Col("operator", required=True),
            Col("name", required=True),
            Col("country", required=True),
            Col("region"),
            Col("cloud_id"),
            Col("cloud_region"),
            _YEAR,
            _PUE,
            _WUE,
            _CONTRACT,
            _NOTES,
            _SOURCE,
            _CFE,
        ),
        key=("datacenter_id",),  # one row per site: its figures of `year`
    ),
    # A predefined site's figures of other years (catalog.datacenters picks by year). Not a
    # catalog reference: an admin may delete a global site, and its years go unused with it.
    "datacenter_years": Schema(
        "datacenter_years.csv",
        (
            Col("datacenter_id", required=True),
            _YEAR,
            _PUE,
            _WUE,
            _CONTRACT,
            _CFE,
            _NOTES,
            _SOURCE,
        ),
        key=("datacenter_id", "year"),
    ),
    "embodied_sources": Schema(
        "embodied_sources.csv",
        (
            Col("component", required=True, choices=("gpu", "server")),
            Col("component_id", required=True),
            Col("source_key", required=True),
            _pos("embodied_emissions_kgco2e", 1_000_000, required=False),
            _nonneg("embodied_water_l", 10_000_000, required=False),
            Col("in_range", required=True, choices=("yes", "no")),
            _NOTES,
            _SOURCE,
        ),
        key=("component", "component_id", "source_key"),
    ),
}

# Foreign keys: (table, column) -> table whose key or alias the value must resolve to.
REFERENCES: dict[tuple[str, str], str] = {
    ("nodes", "gpu_id"): "gpus",
    ("services", "default_node_id"): "nodes",
    ("models", "fine_tuned_from_model_id"): "models",
    ("nodes", "datacenter_id"): "datacenters",
}


class Table:
    """One loaded table: columns (float arrays with NaN for blanks, or lists of str/None)."""

    def __init__(self, schema: Schema, columns: dict[str, np.ndarray | list], lines: list[int]):
        self.schema = schema
        self.columns = columns
        self.lines = lines  # CSV line number of each row, for messages
        self.index: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.lines)

    def __getitem__(self, name: str) -> np.ndarray | list:
        return self.columns[name]

    def find(self, *values: str) -> int | None:
        """Row of the key (or alias, or extra key) ``values``, or None."""
        return self.index.get("|".join(lookup_key(v) for v in values))

    def row(self, i: int) -> dict:
        """Row ``i`` as a dict of Python values (None for blanks)."""
        out = {}
        for name, column in self.columns.items():
            value = column[i]
            if isinstance(value, float | np.floating):
                value = None if np.isnan(value) else float(value)
            out[name] = value
        return out


def _fail(schema: Schema, line: int, field: str, problem: str) -> CatalogError:
    where = f"line {line}" if line > 0 else f"custom row {-line}"
    return CatalogError(f"{schema.file}, {where}, field {field}: {problem}")


def _decode(schema: Schema, path: Path) -> str:
    """The file's text; bytes that are not UTF-8 name the file and line."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        bad = data[exc.start : exc.end].hex()
        raise CatalogError(
            f"{schema.file}, line {line}: not valid UTF-8 (byte 0x{bad} at column {column})"
        ) from None


def _read(schema: Schema, path: Path) -> Table:
    reader = csv.DictReader(io.StringIO(_decode(schema, path), newline=""))
    names = [c.name for c in schema.columns]
    header = reader.fieldnames or []
    missing = [n for n in names if n not in header]
    if missing:
        raise _fail(schema, 1, missing[0], "column missing from the header")
    columns: dict[str, list] = {c.name: [] for c in schema.columns}
    lines = []
    for record in reader:
        line = reader.line_num  # the record's last physical line; the header is line 1
        extra = record.get(None)  # DictReader keeps the fields beyond the header under None
        if extra:
            raise _fail(
                schema,
                line,
                header[-1],
                f"{len(extra)} field(s) after it, beyond the header's {len(header)} columns",
            )
        short = [name for name in header if record.get(name) is None]
        if short:  # BigQuery's external tables refuse such rows too (no jagged rows)
            raise _fail(schema, line, short[0], "field missing: the row is shorter than the header")
        lines.append(line)
        for col in schema.columns:
            text = (record.get(col.name) or "").strip()
            columns[col.name].append(_value(schema, col, text, line))
    out = {
        c.name: np.array(columns[c.name], dtype=np.float64) if c.kind != "str" else columns[c.name]
        for c in schema.columns
    }
    return Table(schema, out, lines)


def _value(schema: Schema, col: Col, text: str, line: int) -> str | float | None:
    if not text:
        if col.required:
            raise _fail(schema, line, col.name, "value required")
        return None if col.kind == "str" else float("nan")
    if col.kind == "str":
        if col.choices and text not in col.choices:
            raise _fail(schema, line, col.name, f"{text!r} is not one of {', '.join(col.choices)}")
        return text
    try:
        number = float(text)
    except ValueError:
        raise _fail(schema, line, col.name, f"{text!r} is not a number") from None
    if not np.isfinite(number):
        raise _fail(schema, line, col.name, f"{text!r} is not finite")
    if col.kind == "int" and number != int(number):
        raise _fail(schema, line, col.name, f"{text!r} is not an integer")
    low_ok = col.minimum is None or (number > col.minimum if col.above else number >= col.minimum)
    if not low_ok or (col.maximum is not None and number > col.maximum):
        bounds = f"{'>' if col.above else '>='} {col.minimum}, <= {col.maximum}"
        raise _fail(schema, line, col.name, f"{number} is out of range ({bounds})")
    return number


def _index(table: Table) -> None:
    schema = table.schema
    for i, line in enumerate(table.lines):
        keys = ["|".join(lookup_key(table[k][i]) for k in schema.key)]
        fields = ["|".join(schema.key)]
        for name in schema.extra_keys:
            if table[name][i]:
                keys.append(lookup_key(table[name][i]))
                fields.append(name)
        if schema.aliases and table[schema.aliases][i]:
            aliases = [a for a in table[schema.aliases][i].split("|") if a.strip()]
            keys += [lookup_key(a) for a in aliases]
            fields += [schema.aliases] * len(aliases)
        for key, field in zip(keys, fields, strict=True):
            other = table.index.setdefault(key, i)
            if other != i:
                raise _fail(
                    schema,
                    line,
                    field,
                    f"{key!r} already names the row at line {table.lines[other]}",
                )


class Catalog:
    """All reference tables, indexed for lookups and cross-checked on construction."""

    def __init__(self, tables: dict[str, Table]) -> None:
        self.tables = tables
        for table in tables.values():
            _index(table)
        self._check_references()
        models = tables["models"]
        self.model_by_family_name = {
            lookup_key(f) + "|" + lookup_key(n): i
            for i, (f, n) in enumerate(zip(models["family"], models["name"], strict=True))
            if f and n
        }
        nodes = tables["nodes"]
        instances: dict[str, list[int]] = {}
        for i, instance in enumerate(nodes["cloud_instance_id"]):
            if instance:
                instances.setdefault(lookup_key(instance), []).append(i)
        # An instance name alone resolves only when a single cloud uses it.
        self.node_by_instance = {k: v[0] for k, v in instances.items() if len(v) == 1}
        regions: dict[str, list[int]] = {}
        for i, region in enumerate(tables["cloud_regions"]["cloud_region"]):
            regions.setdefault(lookup_key(region), []).append(i)
        self.region_by_name = {k: v[0] for k, v in regions.items() if len(v) == 1}
        self.grid_years = _years_by_key(tables["grid_intensity"], ("zone_id",))
        self.region_years = _years_by_key(
            tables["cloud_region_intensity"], ("cloud_id", "cloud_region")
        )
        efficiency = tables["provider_efficiency"]
        # Each metric by its own years: a provider may publish PUE in one year and WUE in another.
        self.fleet_years = {
            metric: _years_by_key(efficiency, ("cloud_id",), np.isfinite(efficiency[metric]))
            for metric in ("pue", "wue_l_per_kwh")
        }
        self.market_years = _years_by_key(tables["market_factors"], ("cloud_id",))

    def __getattr__(self, name: str) -> Table:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    def extend(
        self,
        custom: dict[str, list[dict]],
        source: str = "custom entry",
        drop: dict[str, set[int]] | None = None,
    ) -> Catalog:
        """A new catalog: this one without the ``drop`` rows (table name -> row indexes) and
        with the ``custom`` rows added (table name -> rows with the table's column names),
        validated by the same schema and cross-checked as a whole (a replaced row is dropped and
        added back in one step). Ids must not collide with existing ids or aliases
        (CatalogError). ``source`` fills rows that give none."""
        tables = dict(self.tables)
        for name in set(custom) | set(drop or {}):
            table = tables[name]
            schema = table.schema
            removed = (drop or {}).get(name, set())
            keep = [i for i in range(len(table)) if i not in removed]
            columns = {c: [v[i] for i in keep] for c, v in table.columns.items()}
            lines = [table.lines[i] for i in keep]
            for offset, row in enumerate(custom.get(name, [])):
                line = -(offset + 1)  # custom rows have no CSV line; negative marks them
                for col in schema.columns:
                    value = row.get(col.name)
                    if col.name == "source" and not value:
                        value = source
                    text = "" if value is None else str(value)
                    columns[col.name].append(_value(schema, col, text.strip(), line))
                lines.append(line)
            out = {
                c.name: np.array(columns[c.name], dtype=np.float64)
                if c.kind != "str"
                else columns[c.name]
                for c in schema.columns
            }
            tables[name] = Table(schema, out, lines)
        return Catalog(tables)

    def _check_references(self) -> None:
        for (table_name, column), target_name in REFERENCES.items():
            table, target = self.tables[table_name], self.tables[target_name]
            for i, value in enumerate(table[column]):
                if value is not None and target.find(value) is None:
                    raise _fail(
                        table.schema,
                        table.lines[i],
                        column,
                        f"{value!r} is not in {target.schema.file}",
                    )


def _years_by_key(
    table: Table, key: tuple[str, ...], where: np.ndarray | None = None
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """For each key: (sorted years, row of each year), to pick the year nearest a request's;
    only the rows ``where`` is true, when given."""
    groups: dict[str, list[tuple[int, int]]] = {}
    for i in range(len(table)):
        if where is not None and not where[i]:
            continue
        k = "|".join(lookup_key(table[c][i]) for c in key)
        groups.setdefault(k, []).append((int(table["year"][i]), i))
    out = {}
    for k, pairs in groups.items():
        pairs.sort()
        out[k] = (np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs]))
    return out


def pick_year(years_rows: tuple[np.ndarray, np.ndarray], year: int) -> int:
    """Row of the latest year <= ``year`` (the earliest year if ``year`` precedes all data;
    the latest year if ``year`` is 0, i.e. unknown)."""
    years, rows = years_rows
    if year <= 0:
        return int(rows[-1])
    position = int(np.searchsorted(years, year, side="right")) - 1
    return int(rows[max(position, 0)])


def load(data_dir: Path = DATA_DIR) -> Catalog:
    """Read and validate every table of ``data_dir``. Raises CatalogError on the first problem."""
    tables = {}
    for name, schema in SCHEMAS.items():
        path = data_dir / schema.file
        if not path.exists():
            raise CatalogError(f"{schema.file}: file missing from {data_dir}")
        tables[name] = _read(schema, path)
    return Catalog(tables)


@cache
def default() -> Catalog:
    """The bundled catalog, loaded once per process."""
    return load()
