"""Partner exchange (issue 9): dissemination packages out, partner material in.

Out: `policy` (who may receive what, as data), `package` (what goes in, pure), `formats` and
`manifest` (the files and the zip), `service` (the adapter that reads, records and logs).
In: `imports` (FollowTheMoney JSONL and packages), `tabular` (CSV/Excel with a column
mapping), `htcds` (NGO victim and referral records) and `sar` (suspicious activity reports),
all producing intake-format reports that go through `parse_report`, `build_record` and
`DataAccess.submit` like any other.
"""
