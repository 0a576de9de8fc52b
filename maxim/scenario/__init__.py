"""Synthetic London OIC scenario with ground truth, deterministic from a seed.

`iter_scenario` streams reports in the intake format (docs/intake-format.md) with the true
identity of every Person mention; `write_scenario` writes them to a directory.
"""

from maxim.scenario.generate import iter_scenario
from maxim.scenario.model import ScenarioSummary, TruthRow
from maxim.scenario.writer import write_scenario

__all__ = ["ScenarioSummary", "TruthRow", "iter_scenario", "write_scenario"]
