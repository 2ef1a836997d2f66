"""The store, in two packages (docs/architecture.md, "The store"):

- ``store.orm``: SQLAlchemy's engine, sessions and transactions, the schema and its
  migrations; every admin read and write goes through it.
- ``store.direct``: the database drivers alone, for the reads that cannot wait for SQLAlchemy
  to import or cannot afford its overhead (the verify path, the console's first pages); an
  import-linter contract keeps SQLAlchemy out of it.
"""
