"""Moved to :mod:`grontur.publish`, the publication gate; kept while callers move over."""

from grontur.publish import DEFAULT_K, check_k, suppress_with_totals

__all__ = ["DEFAULT_K", "check_k", "suppress_with_totals"]
