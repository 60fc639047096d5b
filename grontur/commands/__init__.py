"""One module per CLI command; each exposes a ``click.Command`` named ``command``."""
