"""Storage: tables, migrations, engines, and the one data-access layer."""
