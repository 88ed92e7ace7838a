"""What a registered LCIA method is: its tuple as columns, its version and its source."""

from __future__ import annotations

import re

import bw2data as bd

from .system import Method

# Where the families bw_mllca registers come from (the method metadata names only the file).
FAMILY_SOURCES = {
    "TRACI v2.1": "Bare (2012), TRACI 2.1, US EPA; ecoinvent 3.9 LCIA implementation as bundled with bw2io",
    "EF v3.1": "European Commission JRC (2022), Environmental Footprint 3.1; ecoinvent 3.9 LCIA implementation as bundled with bw2io",
    "IPCC 2021": "IPCC AR6 WG1 (2021), Chapter 7 Table 7.SM.7; ecoinvent 3.9 LCIA implementation as bundled with bw2io",
}


def method_version(method: Method) -> str:
    """The version written in the family name ('TRACI v2.1' -> '2.1', 'IPCC 2021' -> '2021'); for
    bw_mllca's own methods, the bw_mllca version that registered them."""
    found = re.search(r"v?(\d+(?:\.\d+)*)\s*$", method[0])
    if found:
        return found.group(1)
    return str(bd.methods[method].get("bw_mllca", {}).get("version", ""))


def method_source(method: Method) -> str:
    metadata = bd.methods[method]
    return FAMILY_SOURCES.get(method[0]) or metadata.get("filename") or metadata.get("description", "")


def method_columns(method: Method) -> dict[str, str]:
    """A method tuple as separate columns: family, category, indicator."""
    return {"method family": method[0], "category": method[1] if len(method) > 1 else "",
            "indicator": method[-1] if len(method) > 2 else ""}
