"""Log files in, impacts out: the readers, presets and writers behind ``ai-impact estimate``.

>>> from ai_impact import io
>>> mapper = io.Mapper(io.PRESETS["litellm"])
>>> mapper.rows([{"model": "gpt-4o", "custom_llm_provider": "openai", "prompt_tokens": 12,
...               "completion_tokens": 30, "model_id": "4d2b-deployment"}])[0]["model_id"]
'gpt-4o'

- ``PRESETS``: the log formats (``litellm``, ``otel``, ``langfuse``, ``openai-usage``,
  ``scope3``) and where each keeps the request row's fields; ``detect(columns)`` picks one.
- ``Mapper(preset, overrides)``: records -> request rows for ``ai_impact.estimate``;
  ``parse_map(["col=field"])`` builds ``overrides``.
- ``read_chunks(path)``: CSV, JSON lines (plain or .gz), JSON arrays, Parquet, ``-`` for stdin.
- ``run(inputs, output, preset)``: the whole pipeline, streaming; returns a ``Summary``.
- ``estimate_records(records, preset)``: one call for records already in memory.
- ``estimate_columns(columns, n_rows)``: ``ai_impact.estimate`` for columns (Arrow arrays or
  lists), returning the impact columns; what ``run`` uses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ai_impact
from ai_impact.engine.columns import BLOCKS, METRICS
from ai_impact.io.columnar import estimate_columns
from ai_impact.io.pipeline import Progress, run
from ai_impact.io.presets import (
    NOT_ESTIMATED,
    PRESETS,
    Mapper,
    MappingError,
    Preset,
    detect,
    parse_map,
)
from ai_impact.io.readers import Chunk, InputError, read_chunks
from ai_impact.io.summary import Summary
from ai_impact.io.writers import Writer, impact_column_names, impact_columns

__all__ = [
    "PRESETS",
    "Chunk",
    "InputError",
    "Mapper",
    "MappingError",
    "Preset",
    "Progress",
    "Summary",
    "Writer",
    "detect",
    "estimate_columns",
    "estimate_records",
    "impact_column_names",
    "impact_columns",
    "parse_map",
    "read_chunks",
    "run",
]


def estimate_records(
    records: Sequence[Mapping], preset: str | None = None, **options: Any
) -> list[dict]:
    """Estimate log records of a known format (detected from their keys when ``preset`` is
    None): one ``ModeledRow`` per record (per span of OTLP lines), same order. ``options`` go
    to ``ai_impact.estimate``. A row of no inference (a cache hit, a span that is not a model
    call) has zero impacts, no error and its reason under ``not_estimated``.
    """
    if preset is None:
        keys = list(dict.fromkeys(k for r in records if isinstance(r, Mapping) for k in r))
        preset = detect(keys, list(records[:20]))
        if preset is None:
            raise MappingError("cannot tell the log format from the records' keys; name a preset")
    mapper = Mapper(PRESETS[preset])
    rows = mapper.rows(mapper.explode(list(records)))
    replies = ai_impact.estimate(rows, **options)
    for row, reply in zip(rows, replies, strict=True):  # rows of no inference, as run() has them
        reason = row.get(NOT_ESTIMATED) if isinstance(row, Mapping) else None
        if reason is not None:
            reply.update({block: dict.fromkeys(METRICS, 0.0) for block in BLOCKS})
            reply.update({k: None for k in ("error", "ranges", "confidence") if k in reply})
            reply[NOT_ESTIMATED] = reason
    return replies
