"""What the console shows, without Textual: the keys table's rows (listing.py), their source
before the store has opened (direct_pages.py), the quick views and how an expiry reads. An
import-linter contract keeps Textual out, so each is tested as plain Python."""
