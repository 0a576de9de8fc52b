"""Tasking and outcomes: tasks with owners and statuses (DOMAIN §2.2), operations, outcome totals.

Pure rules live here (`model`, `outcomes`); `maxim.store.workflow_access` stores them with
optimistic locking, so two people changing the same task never silently overwrite each other.
"""
