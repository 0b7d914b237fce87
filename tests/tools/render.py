"""Render a .sql template the way Terraform's templatefile() does for the syntax sql/ uses:
``${name}`` is replaced by the value of ``name`` (every name must be given) and ``$${`` stands
for a literal ``${``. Template directives (``%{ ... }``) are refused: sql/ does not use them,
so that ``envsubst`` renders the files as well (docs/sql.md, "Templating").

tests/test_terraform.py proves this rendering equal to Terraform's for every deployed file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

PLACEHOLDER = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def render(text: str, values: Mapping[str, str]) -> str:
    if "%{" in text:
        raise ValueError("template directives (%{...}) are not allowed in sql/")
    missing = placeholders(text) - set(values)
    if missing:
        raise KeyError(f"no value for {sorted(missing)}")
    rendered = PLACEHOLDER.sub(lambda m: values[m[1]], text)
    return rendered.replace("$${", "${")
