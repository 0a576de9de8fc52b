"""Intake: every input is a report; parse and validate it, turn it into statements, store it."""
