"""MkDocs hook: the pages that describe code and data are written from them at build time.

A page asks for a generated part with a marker line ``<!-- generated: NAME -->``:

- ``study-file``: the study-file reference, from the pydantic models' JSON schema (types, bounds,
  defaults, required fields) and the models' docstrings and field comments;
- ``command-line``: ``bw-mllca --help`` and each command's help, from the argument parser;
- ``methods``: the default LCIA methods and the ``--method`` aliases;
- ``data-sources``: inventories/README.md, methods/README.md, and per table its rows, years and
  cited sources.
"""

from __future__ import annotations

import inspect
import io
import json
import logging
import os
import re
import sys
import tempfile
import tokenize
from collections.abc import Callable
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
# The method tables import bw2data, which opens a Brightway directory on import: a throw-away one,
# so that building the documentation never touches the user's.
_BRIGHTWAY_DIR = tempfile.TemporaryDirectory(prefix="bw_mllca_docs_")
os.environ["BRIGHTWAY2_DIR"] = _BRIGHTWAY_DIR.name
# Brightway's "Using environment variable ..." line is not part of the build log.
os.environ.setdefault("BRIGHTWAY_NO_STRUCTLOG", "1")
logging.getLogger("brightway-stdout-feedback").disabled = True
# Document this checkout, not another installed copy. MkDocs restores sys.path after loading a
# hook, so the package is imported now; its modules are then found from it.
sys.path.insert(0, str(ROOT))
import bw_mllca  # noqa: E402,F401

MARKER = re.compile(r"^<!-- generated: ([a-z-]+) -->$", re.MULTILINE)


def on_page_markdown(markdown: str, page, config, files) -> str:
    return MARKER.sub(lambda match: GENERATORS[match.group(1)](), markdown)


# -- study file ------------------------------------------------------------------------------------

FIELD_LINE = re.compile(r"^    (\w+)\s*:")


def _field_comments(model: type) -> dict[str, str]:
    """A model's field comments: the comment lines just above a field and the one ending its line."""
    source = inspect.getsource(model)
    comments: dict[int, tuple[str, bool]] = {}  # line -> (text, alone on its line)
    code_lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = (token.string.lstrip("#").strip(), token.start[0] not in code_lines)
        elif token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            code_lines.update(range(token.start[0], token.end[0] + 1))
    found: dict[str, str] = {}
    above: list[str] = []
    for number, line in enumerate(source.splitlines(), start=1):
        comment, alone = comments.get(number, ("", False))
        if alone:
            above.append(comment)
            continue
        match = FIELD_LINE.match(line)
        if match:
            found[match.group(1)] = " ".join([*above, comment]).strip()
        if line.strip() and not line.startswith("     "):  # a continuation line keeps the comments above
            above = []
    return found


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _number(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _type(schema: dict) -> str:
    """A property's type in words, with links to the models it holds."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    if "anyOf" in schema:
        return " or ".join(_type(part) for part in schema["anyOf"] if part.get("type") != "null")
    if "enum" in schema:
        return "one of " + ", ".join(f"`{value}`" for value in schema["enum"])
    kind = schema.get("type")
    if kind == "array" and "prefixItems" in schema:
        return "[" + ", ".join(_type(item) for item in schema["prefixItems"]) + "]"
    if kind == "array":
        return f"list of {_type(schema.get('items', {}))}"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"table of NAME = {_type(schema['additionalProperties'])}"
    words = {"string": "text", "number": "number", "integer": "integer", "boolean": "true or false", "object": "table"}
    return words.get(kind, kind or "any")


BOUNDS = (("ge", "≥"), ("minimum", "≥"), ("gt", ">"), ("exclusiveMinimum", ">"), ("le", "≤"), ("maximum", "≤"),
          ("lt", "<"), ("exclusiveMaximum", "<"))


def _bounds(schema: dict) -> str:
    parts = []
    for part in [schema, *schema.get("anyOf", [])]:
        parts += [f"{sign} {_number(part[key])}" for key, sign in BOUNDS if key in part]
        if "pattern" in part:
            parts.append(f"pattern `{part['pattern']}`")
    return ", ".join(parts)


def _default(name: str, schema: dict, required: list[str]) -> str:
    if name in required:
        return "**required**"
    default = schema.get("default")
    if default in (None, [], {}, ""):
        return "none" if default is None else "empty"
    return "its fields' defaults" if isinstance(default, dict) else f"`{json.dumps(default)}`"  # as TOML writes it


def _references(schema: dict) -> list[tuple[str, str]]:
    """(property name, model name, how it is held) for each model a schema refers to."""
    found = []
    for name, prop in schema.get("properties", {}).items():
        for part in [prop, *prop.get("anyOf", [])]:
            if "$ref" in part:
                found.append((name, part["$ref"].rsplit("/", 1)[-1]))
            elif isinstance(part.get("items"), dict) and "$ref" in part["items"]:
                found.append((name + "[]", part["items"]["$ref"].rsplit("/", 1)[-1]))
            elif isinstance(part.get("additionalProperties"), dict) and "$ref" in part["additionalProperties"]:
                found.append((name + ".NAME", part["additionalProperties"]["$ref"].rsplit("/", 1)[-1]))
    return found


def study_reference() -> str:
    from bw_mllca.scope import study as module

    schema = module.Study.model_json_schema()
    models = {"Study": schema, **schema["$defs"]}
    paths: dict[str, list[str]] = {"Study": ["(the whole file)"]}
    order, queue = ["Study"], ["Study"]
    while queue:  # breadth first from the top of the file: each model with the paths it appears at
        current = queue.pop(0)
        for name, target in _references(models[current]):
            prefix = "" if current == "Study" else paths[current][0] + "."
            paths.setdefault(target, []).append(f"{prefix}{name}")
            if target not in order:
                order.append(target)
                queue.append(target)
    out = []
    for name in order:
        model = models[name]
        where = ", ".join(f"`{path}`" for path in paths[name])
        out += [f"## {name}", "", f"At {where}.", ""]
        if model.get("description"):
            out += [inspect.cleandoc(model["description"]), ""]
        if "enum" in model:
            out += ["Values: " + ", ".join(f"`{value}`" for value in model["enum"]) + ".", ""]
            continue
        comments = _field_comments(getattr(module, name))
        out += ["| field | type | default | bounds | meaning |", "| --- | --- | --- | --- | --- |"]
        required = model.get("required", [])
        for field, prop in model.get("properties", {}).items():
            out.append(f"| `{field}` | {_cell(_type(prop))} | {_default(field, prop, required)} | {_cell(_bounds(prop))} "
                       f"| {_cell(comments.get(field, ''))} |")
        out.append("")
    return "\n".join(out)


# -- command line, methods -------------------------------------------------------------------------

def command_line() -> str:
    os.environ["COLUMNS"] = "100"  # argparse wraps at the terminal's width: one width for the page
    from bw_mllca.cli import _parser

    parser = _parser()
    commands = next(action for action in parser._actions if action.dest == "command").choices
    out = ["## bw-mllca", "", "```text", parser.format_help().rstrip(), "```", ""]
    for name, command in commands.items():
        out += [f"## bw-mllca {name}", "", "```text", command.format_help().rstrip(), "```", ""]
    return "\n".join(out)


def methods() -> str:
    from bw_mllca.impact.calculate import DEFAULT_METHODS, method_label
    from bw_mllca.impact.method_choice import ALIASES

    out = ["| family | category | indicator |", "| --- | --- | --- |"]
    out += [f"| {_cell(m[0])} | {_cell(m[1])} | {_cell(m[-1])} |" for m in DEFAULT_METHODS]
    out += ["", "| alias | methods |", "| --- | --- |"]
    for alias, target in ALIASES.items():
        named = f"every registered {target} method" if isinstance(target, str) else "; ".join(method_label(m) for m in target)
        out.append(f"| `{alias}` | {_cell(named)} |")
    return "\n".join(out)


# -- data sources ----------------------------------------------------------------------------------

def _demoted(markdown: str) -> str:
    """Headings one level down (the page has its own title), outside fenced code."""
    out, fenced = [], False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        out.append("#" + line if not fenced and line.startswith("#") else line)
    return "\n".join(out)


def _table_summary(path: Path) -> list[str]:
    table = pd.read_csv(path)
    years = pd.to_numeric(table["year"], errors="coerce").dropna() if "year" in table else pd.Series(dtype=float)
    vintage = f"{int(years.min())}-{int(years.max())}" if len(years) else "not stated per row"
    out = [f"### {path.parent.name}/{path.name}", "", f"{len(table)} rows; data years {vintage}.", ""]
    if "source" in table and len(table):
        counts = table["source"].fillna("(none)").value_counts()
        out += ["| rows | source |", "| --- | --- |"]
        out += [f"| {count} | {_cell(source)} |" for source, count in counts.items()]
        out.append("")
    return out


def data_sources() -> str:
    out = [_demoted((ROOT / "inventories" / "README.md").read_text()), "", _demoted((ROOT / "methods" / "README.md").read_text()),
           "", "## The tables and the sources they cite", ""]
    for path in [*sorted((ROOT / "inventories").glob("*.csv")), *sorted((ROOT / "methods").glob("*.csv"))]:
        out += _table_summary(path)
    return "\n".join(out)


GENERATORS: dict[str, Callable[[], str]] = {
    "study-file": study_reference,
    "command-line": command_line,
    "methods": methods,
    "data-sources": data_sources,
}
