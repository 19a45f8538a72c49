"""Migrate the configured database to the current schema and seed it (idempotent).

Usage: python scripts/setup_db.py   (reads NEUROTUNE_DATABASE_URL; default: SQLite in ./data)
Same as `neurotune init-db`.
"""

from backend.cli import main

if __name__ == "__main__":
    main(["init-db"])
