"""One BLAS thread for the many small matrices of an analysis (the gate's decompositions, the
segmentation's fits): on them threads cost more than they give."""

from __future__ import annotations

from functools import cache
from typing import Any

from threadpoolctl import ThreadpoolController


@cache
def _controller() -> ThreadpoolController:
    # Made once (finding the loaded libraries takes about a millisecond and a half), when first
    # asked for: by then the analysis has loaded NumPy's and SciPy's libraries.
    return ThreadpoolController()


def single_blas_thread() -> Any:
    """A context manager that limits BLAS to one thread."""
    return _controller().limit(limits=1, user_api="blas")
