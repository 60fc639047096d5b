"""Multi-select answers (codes joined by ``;``) split all at once."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import repeat

import numpy as np
import pandas as pd

from grontur.schema import MULTI_SEP


def split_answers(answers: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every part of every answer: its index into the distinct parts, the distinct parts (in the
    order they first come), and the answer it comes from.

    Multi-selects come in any order, so nearly every answer is distinct: they are joined into one
    string, split once, and each distinct part is coded once, instead of splitting answer by answer.
    """
    parts, distinct = pd.factorize(np.asarray(MULTI_SEP.join(answers).split(MULTI_SEP), dtype=object), sort=False)
    per_answer = np.fromiter(map(str.count, answers, repeat(MULTI_SEP)), dtype=np.int64, count=len(answers)) + 1
    return parts, np.asarray(distinct, dtype=object), np.repeat(np.arange(len(answers)), per_answer)
