"""One BLAS thread for the many small matrices of an analysis (the gate's decompositions, the
segmentation's fits, the ranking's products over measures and respondents): on them threads cost
more than they give. An analysis runs on one thread as a whole (:func:`on_one_blas_thread`); the
stages that lean on BLAS most also limit themselves, for callers that run them alone."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, wraps
from typing import Any, ParamSpec, TypeVar

from threadpoolctl import ThreadpoolController


@cache
def _controller() -> ThreadpoolController:
    # Made once (finding the loaded libraries takes about a millisecond and a half), when first
    # asked for: by then the analysis has loaded NumPy's and SciPy's libraries.
    return ThreadpoolController()


def single_blas_thread() -> Any:
    """A context manager that limits BLAS to one thread."""
    return _controller().limit(limits=1, user_api="blas")


_P = ParamSpec("_P")
_R = TypeVar("_R")


def on_one_blas_thread(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """``func`` run with BLAS limited to one thread (the limit set when it is called)."""

    @wraps(func)
    def limited(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with single_blas_thread():
            return func(*args, **kwargs)

    return limited
