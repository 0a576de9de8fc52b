"""Prioritisation inputs: the harm weights (`config.py`) and what the reports evidence (`evidence.py`).

The score itself is `maxim.network.harm`, which scores every network and nominal at once.
"""
