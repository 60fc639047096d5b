"""The canonical response table: the data contract between import and every later stage.

Every importer produces a DataFrame with these columns (optional ones may be absent); every
later stage reads only this table. Codes are lower-case ASCII; multi-select columns hold codes
joined by ``;``. The questionnaire in ``surveys/standard/`` ties every answer label to these
codes, and a test checks the two agree.
"""

from __future__ import annotations

from typing import Any, Final

MODES: Final = (
    "walk", "bike", "ebike", "bus", "train", "boat", "car_alone", "car_shared",
    "car_passenger", "motorcycle", "taxi", "remote", "other",
)
#: Modes in which the respondent drives a car to work (a car arrives at the workplace).
CAR_DRIVER_MODES: Final = ("car_alone", "car_shared")
#: Modes counted as car travel (driver or passenger).
CAR_MODES: Final = ("car_alone", "car_shared", "car_passenger", "taxi")
GREEN_MODES: Final = ("walk", "bike", "ebike", "bus", "train", "boat", "remote")
TRANSIT_MODES: Final = ("bus", "train", "boat")

#: Other ways of travelling a respondent would consider (``would_consider``): the standard
#: question's options. Driving alone is no alternative to driving, so it is not among them.
CONSIDER_MODES: Final = ("walk", "bike", "ebike", "bus", "train", "car_shared", "remote")
FUELS: Final = ("petrol", "diesel", "hybrid", "plugin", "electric", "other", "unknown")
JOB_GROUPS: Final = (
    "health_care", "school", "kindergarten", "administration", "technical", "culture", "other",
)
PARKING: Final = ("free", "paid", "limited", "none", "unknown")
AGE_BANDS: Final = ("u30", "30_44", "45_59", "60p")
BARRIERS: Final = (
    "too_far", "takes_too_long", "no_transit", "transit_infrequent", "transit_times_mismatch",
    "transfers", "weather_winter", "darkness", "hilly", "unsafe_route", "no_cycle_path",
    "no_bike_parking", "no_shower_changing", "no_drying_room", "bike_cost", "need_car_for_work",
    "children_errands", "irregular_hours", "health", "carry_equipment", "comfort_habit",
    "free_parking", "transit_cost",
)
WOULD_HELP: Final = (
    "bike_parking", "showers_lockers", "drying_room", "ebike_pool", "ebike_support",
    "bike_service", "transit_ticket", "transit_schedule", "carpool_matching", "parking_changes",
    "home_office", "flexible_hours", "safe_routes", "winter_maintenance", "information",
    "guaranteed_ride_home", "km_allowance_bike", "other",
)
SEASONS: Final = ("summer", "winter")
#: Stages of change for the most promising alternative (MaxSem; Prochaska & DiClemente's
#: transtheoretical model): not considering it, considering it, preparing to try it, doing it
#: (some days, or for less than six months), keeping it up. Order matters: readiness rises.
STAGES: Final = ("not_considering", "considering", "preparing", "doing", "keeping")

#: column -> (kind, allowed codes or None). kind is one of str, code, multi, float, bool.
COLUMNS: Final[dict[str, tuple[str, tuple[str, ...] | None]]] = {
    "respondent_id": ("str", None),
    "municipality": ("str", None),
    "workplace": ("str", None),
    "wave": ("str", None),
    "mode_summer": ("code", MODES),
    "mode_winter": ("code", MODES),
    "car_fuel": ("code", FUELS),
    "distance_km": ("float", None),
    "travel_time_min": ("float", None),
    "days_on_site": ("float", None),
    "remote_days": ("float", None),
    "home_postcode": ("str", None),
    "shift_work": ("bool", None),
    "job_group": ("code", JOB_GROUPS),
    "parking_at_work": ("code", PARKING),
    "car_needed_for_work": ("bool", None),
    "children_drop_off": ("bool", None),
    "barriers": ("multi", BARRIERS),
    "would_consider": ("multi", CONSIDER_MODES),
    "would_help": ("multi", WOULD_HELP),
    "stage_of_change": ("code", STAGES),
    "age_band": ("code", AGE_BANDS),
}
REQUIRED_ANY: Final = ("mode_summer", "mode_winter", "distance_km")
"""A row is usable when it has at least a mode in one season or a distance."""

#: Columns grontur adds after cleaning (never in an import).
DERIVED_COLUMNS: Final = (
    "source_row",        # 1-based data row number in the input file (header rows not counted)
    "distance_estimated",  # bool: distance_km was estimated from postcode and workplace
    "segment",           # segment id assigned by the segmentation stage
)

MAX_DISTANCE_KM: Final = 300.0
MAX_TRAVEL_TIME_MIN: Final = 300.0
MULTI_SEP: Final = ";"


def split_multi(value: object) -> list[str]:
    """Split a canonical multi-select cell into its codes.

    >>> split_multi("too_far;hilly")
    ['too_far', 'hilly']
    >>> split_multi(None)
    []
    """
    if not isinstance(value, str) or not value:
        return []
    return [part for part in value.split(MULTI_SEP) if part]


def seasons_in(table: Any) -> int:
    """How many seasons a canonical table's modes describe: its mode columns (0, 1 or 2).

    An import that fills both seasons from one question says so itself
    (:func:`grontur.pipeline.seasons_asked`); this is the count when nothing says otherwise.
    """
    return sum(1 for season in SEASONS if f"mode_{season}" in table.columns)
