"""Choosing LCIA methods by name: a method tuple written as text, a method family, or a short alias.

The command's ``--method`` and ``calculate(methods=...)`` callers who type names use this; each
choice is checked against the methods registered in the current project.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Iterable, Sequence

import bw2data as bd

from ..errors import UnknownMethod
from .calculate import DEFAULT_METHODS, WATER_METHOD, WATER_SCARCITY_METHOD, method_label
from .methods import TRACI, TRACI_GWP100
from .system import Method

IPCC_2021 = "IPCC 2021"
EF_31 = "EF v3.1"

# Short names for the choices a practitioner makes most often. A family alias stands for every
# registered method of that family.
ALIASES: dict[str, tuple[Method, ...] | str] = {
    "default": DEFAULT_METHODS,
    "traci": TRACI,
    "gwp100": (TRACI_GWP100,),
    "water": (WATER_METHOD,),
    "aware": (WATER_SCARCITY_METHOD,),
    "ipcc2021-gwp100": ((IPCC_2021, "climate change", "global warming potential (GWP100)"),),
    "ipcc2021-gwp20": ((IPCC_2021, "climate change", "global warming potential (GWP20)"),),
    "ipcc2021-gtp100": ((IPCC_2021, "climate change", "global temperature change potential (GTP100)"),),
    "ef3.1-gwp100": ((EF_31, "climate change", "global warming potential (GWP100)"),),
    "ipcc2021": IPCC_2021,
    "ef3.1": EF_31,
}


def parse_method(text: str, field: str = "--method") -> Method | str:
    """A method tuple from ``'A | B | C'`` or ``"('A', 'B', 'C')"``, or the text itself when it
    is an alias or a family name (one part). Raises ``UnknownMethod`` on malformed text."""
    text = text.strip()
    if text.startswith("("):
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            value = None
        if not (isinstance(value, tuple) and value and all(isinstance(part, str) for part in value)):
            raise UnknownMethod(f"malformed LCIA method name: {field} = {text!r}; give a tuple of strings such as "
                                f"{str(TRACI_GWP100)!r}")
        return value
    parts = tuple(part.strip() for part in text.split("|"))
    if not all(parts):
        raise UnknownMethod(f"malformed LCIA method name: {field} = {text!r} has an empty part; write it as "
                            f"{method_label(TRACI_GWP100)!r}")
    return parts if len(parts) > 1 else text


def choose_methods(choices: Iterable[str], field: str = "--method", registered: Iterable[Method] | None = None) -> list[Method]:
    """The LCIA methods named by ``choices`` (aliases, family names or method names), in order and
    without repeats, each checked against ``registered`` (default: the current project's methods).

    Raises ``UnknownMethod`` naming ``field`` and the value when a choice matches no registered method.
    """
    known = set(bd.methods if registered is None else registered)
    families = {method[0] for method in known}
    chosen: list[Method] = []
    for text in choices:
        found = _resolve(parse_method(text, field), known, families)
        if not found:
            raise UnknownMethod(_unknown(field, text, known))
        chosen += [method for method in found if method not in chosen]
    return chosen


def _resolve(parsed: Method | str, known: set[Method], families: set[str]) -> Sequence[Method]:
    if isinstance(parsed, tuple):
        return [parsed] if parsed in known else []
    alias = ALIASES.get(parsed.lower())
    family = alias if isinstance(alias, str) else parsed if parsed in families else None
    if family is not None:
        return sorted(method for method in known if method[0] == family)
    if alias is not None and all(method in known for method in alias):
        return list(alias)
    return []


def _unknown(field: str, text: str, known: set[Method]) -> str:
    labels = [method_label(method) for method in known]
    close = difflib.get_close_matches(text, labels, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return (f"unknown LCIA method: {field} = {text!r} is not registered in the project; {hint}give a name as "
            f"'family | category | indicator', a family ({', '.join(sorted({m[0] for m in known}))}) "
            f"or an alias ({', '.join(ALIASES)})")
