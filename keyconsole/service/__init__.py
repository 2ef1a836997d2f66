"""The operations on keys, scopes and the audit log, shared by the CLI and the console."""
