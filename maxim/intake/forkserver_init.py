"""Loaded only by the ingest's fork server (never imported elsewhere): it dies with the ingest.

If the ingest is killed outright, the fork server and the workers it forked would otherwise
live on as orphans. `die_with_parent` asks Linux to kill this process when its parent goes.
"""

from __future__ import annotations

from maxim.intake.batch import die_with_parent

die_with_parent()
