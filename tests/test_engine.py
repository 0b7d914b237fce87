"""The engine's contract: typed columns in, typed impacts and its own row errors out, nothing
imported from the layers above it."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np

from ai_impact import catalog as _catalog
from ai_impact.engine.chain import compute
from ai_impact.parse import parse_rows
from ai_impact.resolve import resolve

ENGINE = Path(__file__).resolve().parents[1] / "function" / "ai_impact" / "engine"
# What the engine may import from the package: itself, and the task -> method table.
ALLOWED = ("ai_impact.engine", "ai_impact.tasks")


def test_the_engine_imports_nothing_from_the_layers_above_it() -> None:
    imported = set()
    for path in ENGINE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                imported.add((path.name, names[0] if node.module != "ai_impact" else names[1]))
            elif isinstance(node, ast.Import):
                imported |= {(path.name, a.name) for a in node.names}
    package = {(f, m) for f, m in imported if m.startswith("ai_impact")}
    assert package, "the scan found no import of the package at all"
    assert all(m.startswith(ALLOWED) for _, m in package), sorted(package)


def _run(rows: list[dict]) -> tuple:
    parsed = parse_rows(rows)
    resolved = resolve(parsed, _catalog.default())
    failed = parsed.errors.any | resolved.errors.any
    impacts = compute(
        parsed.engine_usage(),
        resolved.model.columns,
        resolved.hardware.columns,
        resolved.location.columns,
        failed=failed,
    )
    return parsed, resolved, impacts


def test_the_engine_returns_its_own_errors_and_leaves_the_callers_alone() -> None:
    rows = [
        {"model_id": "llama_31_8b", "output_tokens": 100},
        {"model_id": "llama_31_8b", "output_tokens": 100, "task": "clustering"},
        {"model_id": "llama_31_8b", "output_tokens": -1},  # a parse error
        {"model_id": "whisper_large_v3_turbo", "output_tokens": 10},  # no audio: engine error
    ]
    parsed, resolved, impacts = _run(rows)
    assert parsed.errors.code.tolist() == [None, None, "invalid_field", None]
    assert not resolved.errors.any.any()
    assert impacts.errors.code.tolist() == [None, "unsupported_task", None, "missing_field"]
    assert impacts.errors.field[3] == "input_audio_seconds"
    # Rows with an error, the caller's or the engine's, are zero everywhere; the others are not.
    energy = impacts.total.usage_energy_wh
    assert energy[0] > 0 and (energy[1:] == 0).all()
    assert (impacts.gpu_wh[1:] == 0).all()


def test_a_batch_of_nothing() -> None:
    _, _, impacts = _run([])
    assert len(impacts.total.usage_energy_wh) == 0
    assert len(impacts.errors) == 0


def test_per_deployment_values_reach_the_rows() -> None:
    rows = [
        {"model_id": "llama_31_70b", "output_tokens": 100, "gpu_count": 8, "batch_size": 16},
        {"model_id": "llama_31_70b", "output_tokens": 200},
        {"model_id": "llama_31_70b", "output_tokens": 300, "gpu_count": 8, "batch_size": 16},
    ]
    _, _, impacts = _run(rows)
    d = impacts.deployment
    assert d[0] == d[2] != d[1]
    assert impacts.gpu_count[d].tolist() == [8, 4, 8]  # 70.6 B x 2 bytes x 1.2 on 80 GB: 4
    assert impacts.batch_size[d].tolist() == [16, 64, 16]
    assert np.all(impacts.busy_time_s > 0)
