"""The Inputs and Outputs tables of a Terraform module's README, generated from its variables.tf
and outputs.tf as terraform-docs writes them (Name, Description, Type, Default, Required), between
the markers ``<!-- BEGIN_TF_DOCS -->`` and ``<!-- END_TF_DOCS -->``.

    python scripts/terraform_docs.py           # rewrite terraform/README.md and the examples'
    python scripts/terraform_docs.py --check   # exit 1 if a README is stale (tests run this)
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path

import hcl2

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"


def modules() -> list[Path]:
    """The root module and every example: the directories whose README carries tables."""
    return [ROOT / "terraform", *sorted((ROOT / "terraform" / "examples").iterdir())]


def _text(value: object) -> str:
    text = str(value)
    if text.startswith('"') and text.endswith('"'):
        text = json.loads(text)
    return text.replace("|", "\\|")


def _type(value: object) -> str:
    return str(value).removeprefix("${").removesuffix("}")


def _default(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value.removeprefix("${").removesuffix("}")
    return json.dumps(value)


@cache
def _load(path: Path, mtime_ns: int) -> dict:
    with path.open(encoding="utf-8") as handle:
        return hcl2.load(handle)


def _blocks(path: Path, kind: str) -> list[tuple[str, dict]]:
    found = _load(path, path.stat().st_mtime_ns).get(kind, [])
    return [(name.strip('"'), body) for block in found for name, body in block.items()]


def tables(module: Path) -> str:
    """The generated Markdown of one module."""
    lines = ["## Inputs", ""]
    variables = [b for f in sorted(module.glob("*.tf")) for b in _blocks(f, "variable")]
    if variables:
        lines += ["| Name | Description | Type | Default | Required |", "|---|---|---|---|:---:|"]
        for name, body in variables:
            required = "default" not in body
            default = "n/a" if required else f"`{_default(body['default'])}`"
            lines.append(
                f"| `{name}` | {_text(body.get('description', ''))} | "
                f"`{_type(body.get('type', 'any'))}` | {default} | {'yes' if required else 'no'} |"
            )
    else:
        lines.append("No inputs.")
    lines += ["", "## Outputs", ""]
    outputs = [b for f in sorted(module.glob("*.tf")) for b in _blocks(f, "output")]
    if outputs:
        lines += ["| Name | Description |", "|---|---|"]
        lines += [f"| `{n}` | {_text(b.get('description', ''))} |" for n, b in outputs]
    else:
        lines.append("No outputs.")
    return "\n".join([BEGIN, *lines, END])


def updated(readme: str, module: Path) -> str:
    """``readme`` with its tables replaced by the generated ones."""
    if BEGIN not in readme or END not in readme:
        raise ValueError(f"{module}/README.md has no {BEGIN} ... {END} section")
    head, rest = readme.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    return head + tables(module) + tail


def main(argv: list[str]) -> int:
    stale = []
    for module in modules():
        readme = module / "README.md"
        text = readme.read_text(encoding="utf-8")
        new = updated(text, module)
        if new != text:
            stale.append(str(readme.relative_to(ROOT)))
            if "--check" not in argv:
                readme.write_text(new, encoding="utf-8")
    if stale and "--check" in argv:
        print(f"stale (run python scripts/terraform_docs.py): {', '.join(stale)}")
        return 1
    for name in stale:
        print(f"wrote {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
