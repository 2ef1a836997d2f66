"""The store through its database driver alone, without SQLAlchemy: the verify path and the
console's first pages (docs/architecture.md, "The verify path")."""
