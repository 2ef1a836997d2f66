"""The command line (click): parses, calls the service, prints text or --json."""
