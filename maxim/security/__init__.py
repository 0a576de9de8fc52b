"""Users, roles and (with the access-control issue) sessions, tokens and the audit chain."""
