"""Prioritisation: MoRiLE-style harm scores of networks and nominals, each with its breakdown."""
