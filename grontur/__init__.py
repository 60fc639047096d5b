"""grontur: employee commuting surveys to ranked, explained workplace mobility measures."""

__version__ = "0.1.0"
