"""The whole schema: `tables.py` plus every feature's `tables_*.py`, on one MetaData.

Features keep their tables in their own module so they do not all edit one file; this is the
one place that gathers them, for migrations, comparisons and tests.
"""

from __future__ import annotations

import importlib
import pkgutil

from sqlalchemy import MetaData

import maxim.store
from maxim.store.tables import metadata


def full_metadata() -> MetaData:
    for module in pkgutil.iter_modules(maxim.store.__path__):
        if module.name.startswith("tables_"):
            importlib.import_module(f"maxim.store.{module.name}")
    return metadata
