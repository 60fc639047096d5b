"""Stage of change: how ready each respondent is to travel another way.

The stages follow MaxSem (the EU mobility-management evaluation tool, after Prochaska &
DiClemente's transtheoretical model) for the respondent's most promising alternative:

============================  ==================================================================
``not_considering``           has not thought about travelling another way
``considering``               thinking about it, not decided
``preparing``                 decided, will try soon
``doing``                     travels that way on some days, or for less than six months
``keeping``                   has travelled that way for more than six months
============================  ==================================================================

Where the survey asked the stage question (``stage_of_change``, question ``q_stage_of_change``
of the standard questionnaire) the answer is used. Elsewhere the stage is *derived* from the
current mode and the alternatives the respondent would consider, and marked as derived:

- a green mode (walk, cycle, public transport, home office) in every season answered:
  ``keeping`` (assumption: the survey does not say for how long; a habit held through both
  seasons is taken as kept up);
- a green mode in one season and a car (or another non-green mode) in the other: ``doing``;
- no green mode, at least one alternative named under ``would_consider``: ``considering``;
- no green mode, the ``would_consider`` question asked (the column is in the table) and none
  named: ``not_considering`` (assumption: a multi-select left empty means "none of these");
- otherwise (no mode answered, or ``would_consider`` not asked): missing, never a guess.

``preparing`` is never derived: only the question can tell it apart from ``considering``.

Measures suit stages (``stages:`` in the measure catalogue): information and campaigns suit
``considering``, trials and equipment ``preparing``, facilities and rewards ``doing``.
:func:`stage_fit` gives the share of a group whose stage a measure suits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from grontur._distinct import distinct, spread
from grontur.schema import GREEN_MODES, MULTI_SEP, SEASONS, STAGES

__all__ = ["STAGES", "StageResult", "answered_stage", "stage_fit", "stage_of_change"]

#: The canonical column of the stage question.
COLUMN: Final = "stage_of_change"


@dataclass(frozen=True)
class StageResult:
    """The stage of change of every respondent.

    ``stage`` holds a code of :data:`~grontur.schema.STAGES` per row (aligned with the table's
    index; missing when neither the question nor the derivation gives one); ``derived`` is True
    where the stage was derived from mode and would-consider, False where the respondent
    answered the stage question, and missing where the stage is missing.
    """

    stage: pd.Series
    derived: pd.Series

    @property
    def asked(self) -> bool:
        """Whether any respondent answered the stage question."""
        return bool((~self.derived.fillna(True).astype(bool)).any())

    def mask(self, stage: str) -> np.ndarray:
        """Rows in ``stage`` (a boolean array over the table's rows)."""
        return (self.stage == stage).fillna(False).to_numpy(dtype=bool)

    def known(self) -> np.ndarray:
        """Rows with a stage."""
        return self.stage.notna().to_numpy(dtype=bool)

    def counts(self, rows: np.ndarray | None = None) -> dict[str, int]:
        """Respondents per stage (all rows, or those flagged in ``rows``), in stage order."""
        chosen = self.stage if rows is None else self.stage[np.asarray(rows, dtype=bool)]
        found = chosen.value_counts()
        return {code: int(found.get(code, 0)) for code in STAGES}


def _column_flags(table: pd.DataFrame, column: str, test: Callable[[object], bool]) -> np.ndarray:
    """``test`` of every row's value of ``column``, asked once per distinct value (False for a
    missing value or a missing column)."""
    if column not in table.columns:
        return np.zeros(len(table), dtype=bool)
    codes, uniques = distinct(table[column])
    return spread([test(value) for value in uniques], codes, missing=False, dtype=bool)


def _named_any(cell: object) -> bool:
    return isinstance(cell, str) and any(p.strip() for p in cell.split(MULTI_SEP))


def answered_stage(table: pd.DataFrame) -> np.ndarray:
    """Each respondent's answer to the stage question as an index into :data:`STAGES` (-1 where
    the question was not asked or not answered, or the answer is no stage code)."""
    if COLUMN not in table.columns:
        return np.full(len(table), -1, dtype=np.int64)
    codes, uniques = distinct(table[COLUMN])
    return spread([STAGES.index(u) if isinstance(u, str) and u in STAGES else -1 for u in uniques], codes,
                  missing=-1, dtype=np.int64)


def stage_of_change(table: pd.DataFrame) -> StageResult:
    """Stage of every respondent of a canonical table: answered where asked, else derived.

    See the module docstring for the derivation rules. Unknown stage codes in the
    ``stage_of_change`` column are treated as unanswered (the importer rejects them earlier).
    """
    index = table.index
    n = len(table)
    answered = answered_stage(table)
    green = np.zeros(n, dtype=bool)
    other = np.zeros(n, dtype=bool)
    for season in SEASONS:
        column = f"mode_{season}"
        if column not in table.columns:
            continue
        mode = table[column]
        known = mode.notna().to_numpy(dtype=bool)
        is_green = mode.isin(GREEN_MODES).to_numpy(dtype=bool) & known
        green |= is_green
        other |= known & ~is_green
    derived = np.full(n, -1, dtype=np.int64)
    derived[green & ~other] = STAGES.index("keeping")
    derived[green & other] = STAGES.index("doing")
    drives = other & ~green
    if "would_consider" in table.columns:
        named = _column_flags(table, "would_consider", _named_any)
        derived[drives & named] = STAGES.index("considering")
        derived[drives & ~named] = STAGES.index("not_considering")
    has_answer = answered >= 0
    stage = np.where(has_answer, answered, derived)
    labels = np.array([*STAGES, None], dtype=object)[stage]  # -1 picks None: missing
    flag = pd.arrays.BooleanArray(~has_answer, ~has_answer & (derived < 0))
    return StageResult(stage=pd.Series(labels, index=index, dtype="string", name="stage_of_change"),
                       derived=pd.Series(flag, index=index, name="stage_derived"))


def stage_fit(result: StageResult, stages: Iterable[str], rows: np.ndarray | None = None) -> float | None:
    """Share of respondents (all, or those flagged in ``rows``) with a stage whose stage is in
    ``stages`` (a measure's ``stages:``); None when nobody there has a stage."""
    wanted = set(stages)
    unknown = wanted - set(STAGES)
    if unknown:
        msg = f"unknown stage code(s) {sorted(unknown)}; use {', '.join(STAGES)}"
        raise ValueError(msg)
    counts = result.counts(rows)
    total = sum(counts.values())
    if not total:
        return None
    return sum(n for code, n in counts.items() if code in wanted) / total
