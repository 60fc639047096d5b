"""Project configuration: one municipality's settings, read from ``grontur.yaml``.

A project folder holds ``grontur.yaml`` (written by ``grontur init`` or by hand) next to the
survey exports it names. Relative paths in the file are relative to the folder. See
``docs/contracts.md`` for the fields; :func:`load_project` validates every one of them and names
the file and field of any error.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from grontur._yaml import read_yaml
from grontur.errors import ConfigError
from grontur.i18n import LANGUAGES
from grontur.limits import DEFAULT_LIMITS, Limits
from grontur.threshold import DEFAULT_K, check_k

CONFIG_NAME = "grontur.yaml"
TRANSIT_LEVELS = ("none", "poor", "fair", "good")
PARKING_LEVELS = ("free", "paid", "limited", "none")
_KNOWN_KEYS = {
    "municipality", "language", "k", "employees", "survey", "followup", "mapping", "sheet",
    "wave", "followup_wave", "run_date", "plan_start", "context", "workplaces", "pilots", "weights", "salt",
    "catalogue", "geodata", "comparison_municipality", "evidence", "limits",
}


@dataclass(frozen=True)
class Workplace:
    name: str
    lat: float | None = None
    lon: float | None = None
    postcode: str | None = None


@dataclass(frozen=True)
class Pilot:
    measure: str
    start: dt.date
    end: dt.date
    participants: Mapping[str, Any]


@dataclass(frozen=True)
class Project:
    """Everything one municipality's analysis needs besides the survey rows themselves."""

    number: str
    name: str
    language: str
    k: int = DEFAULT_K
    employees: int | None = None
    survey: Path | None = None
    followup: Path | None = None
    mapping: Path | None = None
    sheet: str | None = None
    wave: str | None = None
    followup_wave: str | None = None
    run_date: dt.date = field(default_factory=dt.date.today)
    plan_start: dt.date | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    workplaces: tuple[Workplace, ...] = ()
    pilots: tuple[Pilot, ...] = ()
    weights: Mapping[str, Any] = field(default_factory=dict)
    salt: str = ""
    #: Where the pseudonym key is kept when grontur.yaml gives no ``salt`` (see :mod:`grontur.keys`).
    key_file: Path | None = None
    catalogue: Path | None = None
    geodata: Mapping[str, Path] = field(default_factory=dict)
    comparison_municipality: str | None = None
    evidence: tuple[Path, ...] = ()
    root: Path | None = None
    #: Size limits of the survey exports (``limits:`` in grontur.yaml; see :mod:`grontur.limits`).
    limits: Limits = DEFAULT_LIMITS

    @property
    def slug(self) -> str:
        """A folder-safe name, e.g. ``"al"`` for Ål."""
        table = str.maketrans({"å": "a", "æ": "ae", "ø": "o", "Å": "a", "Æ": "ae", "Ø": "o"})
        return "".join(ch for ch in self.name.translate(table).lower() if ch.isalnum() or ch == "-")

    def with_overrides(self, **changes: Any) -> Project:
        return replace(self, **{key: value for key, value in changes.items() if value is not None})


    def with_context(self, overrides: Mapping[str, Any]) -> Project:
        """The project with site facts from the command line (:func:`context_from_flags`) on top of
        its own: a level given replaces the project's, facilities are merged one by one."""
        if not overrides:
            return self
        context = dict(self.context)
        for key, value in overrides.items():
            if key == "facilities":
                context["facilities"] = {**dict(context.get("facilities") or {}), **value}
            else:
                context[key] = value
        return replace(self, context=context)


_YES = ("yes", "ja", "true", "1")
_NO = ("no", "nei", "false", "0")


def context_from_flags(transit: str | None = None, parking: str | None = None,
                       facilities: tuple[str, ...] | list[str] = ()) -> dict[str, Any]:
    """Site facts from ``--transit``, ``--parking`` and ``--facility NAME=yes|no``, checked."""
    from grontur.catalogue import FACILITIES

    out: dict[str, Any] = {}
    if transit is not None:
        if transit not in TRANSIT_LEVELS:
            raise ConfigError(f"--transit is {transit!r}; use one of {', '.join(TRANSIT_LEVELS)}.")
        out["transit_service"] = transit
    if parking is not None:
        if parking not in PARKING_LEVELS:
            raise ConfigError(f"--parking is {parking!r}; use one of {', '.join(PARKING_LEVELS)}.")
        out["parking_at_work"] = parking
    given: dict[str, bool] = {}
    for item in facilities:
        name, _, answer = str(item).partition("=")
        name, answer = name.strip(), answer.strip().lower()
        if name not in FACILITIES:
            raise ConfigError(f"--facility {item!r}: unknown facility {name!r}; use one of {', '.join(FACILITIES)}, "
                              "as NAME=yes or NAME=no.")
        if answer not in _YES + _NO:
            raise ConfigError(f"--facility {item!r}: say yes or no after the '=', e.g. --facility {name}=yes.")
        given[name] = answer in _YES
    if given:
        out["facilities"] = given
    return out


def default_language(written_standard: str | None) -> str:
    """Nynorsk municipalities get nynorsk reports; neutral and bokmål ones get bokmål."""
    return "nn" if written_standard == "nn" else "nb"


def _lookup(value: object, *, source: str) -> Any:
    from grontur.municipalities import lookup

    try:
        return lookup(str(value))
    except Exception as error:  # the lookup raises MunicipalityError with its own advice
        msg = f"{source}: field 'municipality': {error}"
        raise ConfigError(msg) from error


def project_for(municipality: str, *, language: str | None = None, k: int = DEFAULT_K, **fields: Any) -> Project:
    """A project made from a municipality name or number alone (for ``grontur analyse`` without ``--project``)."""
    found = _lookup(municipality, source="--kommune")
    lang = language or default_language(getattr(found, "written_standard", None))
    return Project(number=found.number, name=found.name, language=_check_language(lang, "--lang"), k=check_k(k, "--k"), **fields)


def _check_language(lang: str, where: str) -> str:
    if lang not in LANGUAGES:
        msg = f"{where}: unknown language {lang!r}; use nn (nynorsk), nb (bokmål) or en (English)."
        raise ConfigError(msg)
    return lang


def _date(value: object, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as error:
        msg = f"{where}: {value!r} is not a date; write it as YYYY-MM-DD."
        raise ConfigError(msg) from error


def _path(root: Path, value: object) -> Path | None:
    if value in (None, ""):
        return None
    path = Path(str(value)).expanduser()
    return path if path.is_absolute() else root / path


def load_project(path: str | Path) -> Project:
    """Read and validate a project configuration (a folder holding ``grontur.yaml``, or the file)."""
    path = Path(path)
    file = path / CONFIG_NAME if path.is_dir() else path
    if not file.is_file():
        msg = f"{file}: no project configuration here; run 'grontur init {path}' or give the path to a grontur.yaml file."
        raise ConfigError(msg)
    data = read_yaml(file) or {}
    if not isinstance(data, dict):
        msg = f"{file}: a project configuration must be a mapping of fields such as 'municipality: Gol'."
        raise ConfigError(msg)
    unknown = sorted(set(data) - _KNOWN_KEYS)
    if unknown:
        msg = f"{file}: unknown field {unknown[0]!r}; known fields are {', '.join(sorted(_KNOWN_KEYS))}."
        raise ConfigError(msg)
    if "municipality" not in data:
        msg = f"{file}: field 'municipality' is missing; give the municipality's name or 4-digit number."
        raise ConfigError(msg)
    root = file.parent
    found = _lookup(data["municipality"], source=str(file))
    lang = data.get("language") or default_language(getattr(found, "written_standard", None))
    context = data.get("context") or {}
    if not isinstance(context, dict):
        raise ConfigError(f"{file}: field 'context' must be a mapping (transit_service, parking_at_work, facilities).")
    transit = context.get("transit_service")
    if transit is not None and transit not in TRANSIT_LEVELS:
        msg = f"{file}: field 'context.transit_service' is {transit!r}; use one of {', '.join(TRANSIT_LEVELS)}."
        raise ConfigError(msg)
    parking = context.get("parking_at_work")
    if parking is not None and parking not in PARKING_LEVELS:
        msg = f"{file}: field 'context.parking_at_work' is {parking!r}; use one of {', '.join(PARKING_LEVELS)}."
        raise ConfigError(msg)
    target_year = context.get("target_year")
    if target_year is not None and (isinstance(target_year, bool) or not isinstance(target_year, int)
                                    or not 2000 <= target_year <= 2100):
        raise ConfigError(f"{file}: field 'context.target_year' is {target_year!r}; give a year such as 2028.")
    capacity = context.get("capacity") or {}
    if not isinstance(capacity, dict) or any(isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0
                                             for v in capacity.values()):
        raise ConfigError(f"{file}: field 'context.capacity' must map measure ids to a positive number of units "
                          "(e-bikes, spaces, tickets), e.g. {{ebike-pool: 10}}.")
    workplaces = tuple(_workplace(item, file, i) for i, item in enumerate(_list(data, "workplaces", file)))
    pilots = tuple(_pilot(item, file, i) for i, item in enumerate(_list(data, "pilots", file)))
    employees = data.get("employees")
    if employees is not None and (isinstance(employees, bool) or not isinstance(employees, int) or employees <= 0):
        raise ConfigError(f"{file}: field 'employees' must be a positive whole number, not {employees!r}.")
    geodata = data.get("geodata") or {}
    if not isinstance(geodata, dict):
        raise ConfigError(f"{file}: field 'geodata' must map 'postcodes' and 'municipalities' to files.")
    salt = str(data.get("salt") or "")
    key_file = None
    if not salt:
        # A random secret kept in the project folder, so repeat waves of the project pair (grontur.keys).
        from grontur.keys import project_key

        key = project_key(root)
        salt, key_file = key.value, key.path
    run_date = _date(data["run_date"], f"{file}: field 'run_date'") if data.get("run_date") else dt.date.today()
    return Project(
        number=found.number,
        name=found.name,
        language=_check_language(lang, f"{file}: field 'language'"),
        k=check_k(data.get("k", DEFAULT_K), f"{file}: field 'k'"),
        employees=employees,
        survey=_path(root, data.get("survey")),
        followup=_path(root, data.get("followup")),
        mapping=_path(root, data.get("mapping")),
        sheet=data.get("sheet"),
        wave=str(data["wave"]) if data.get("wave") is not None else None,
        followup_wave=str(data["followup_wave"]) if data.get("followup_wave") is not None else None,
        run_date=run_date,
        plan_start=_date(data["plan_start"], f"{file}: field 'plan_start'") if data.get("plan_start") else None,
        context=context,
        workplaces=workplaces,
        pilots=pilots,
        weights=_weights(data.get("weights"), file),
        salt=salt,
        key_file=key_file,
        catalogue=_path(root, data.get("catalogue")),
        geodata={str(key): p for key, value in geodata.items() if (p := _path(root, value)) is not None},
        comparison_municipality=(str(data["comparison_municipality"]) if data.get("comparison_municipality") else None),
        evidence=_evidence_paths(data.get("evidence"), root, file),
        root=root,
        limits=_limits(data.get("limits"), file),
    )


def _limits(value: object, file: Path) -> Limits:
    """The ``limits:`` field: a mapping of limit names to whole numbers (see :mod:`grontur.limits`)."""
    if value in (None, {}):
        return DEFAULT_LIMITS
    if not isinstance(value, dict):
        raise ConfigError(f"{file}: field 'limits' must be a mapping such as 'columns: 5000'.")
    return DEFAULT_LIMITS.with_changes({str(key): item for key, item in value.items()}, source=f"{file}: field 'limits'")


def _evidence_paths(value: object, root: Path, file: Path) -> tuple[Path, ...]:
    """The project's evidence folders or files (one path or a list), relative to the project folder."""
    if value in (None, "", []):
        return ()
    items = value if isinstance(value, list) else [value]
    paths = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise ConfigError(f"{file}: field 'evidence' must be a folder of evidence records (or a list of them), "
                              f"not {item!r}.")
        path = _path(root, item)
        assert path is not None
        if not path.exists():
            raise ConfigError(f"{file}: field 'evidence': {path} does not exist; give the folder of the network's "
                              "evidence records (e.g. the evidence/ folder 'grontur demo' or 'grontur compare "
                              "--write-evidence' writes), or remove the field.")
        paths.append(path)
    return tuple(paths)


def _weights(value: object, file: Path) -> Mapping[str, Any]:
    """The project's overrides of the ranking weights, checked against measures/weights.yaml now,
    so a mistake is reported with this file's name rather than half-way through an analysis."""
    if not value:
        return {}
    from grontur.rank import load_weights

    try:
        load_weights(overrides=value)  # type: ignore[arg-type]
    except ConfigError as error:
        raise ConfigError(f"{file}: field 'weights': {error}") from None
    return value  # type: ignore[return-value]


def _list(data: Mapping[str, Any], key: str, file: Path) -> list[Any]:
    value = data.get(key) or []
    if not isinstance(value, list):
        raise ConfigError(f"{file}: field '{key}' must be a list (one '- ' line per entry), not {value!r}.")
    return value


def _coordinate(value: object, where: str, name: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or math.isnan(number):
        raise ConfigError(f"{where}: '{name}' is {value!r}; give WGS84 degrees as a number (e.g. lat: 60.70, lon: 8.94).")
    return number


def _workplace(item: object, file: Path, index: int) -> Workplace:
    where = f"{file}: field 'workplaces[{index}]'"
    if not isinstance(item, dict) or not item.get("name"):
        raise ConfigError(f"{where} needs at least a 'name' (and coordinates 'lat', 'lon' or a 'postcode').")
    lat, lon = item.get("lat"), item.get("lon")
    if (lat is None) != (lon is None):
        raise ConfigError(f"{where}: give both 'lat' and 'lon', or neither.")
    if lat is not None:
        lat, lon = _coordinate(lat, where, "lat"), _coordinate(lon, where, "lon")
        if not (57 <= lat <= 72 and 3 <= lon <= 32):
            raise ConfigError(f"{where}: lat={lat}, lon={lon} is outside Norway; use WGS84 degrees (e.g. lat: 60.70, lon: 8.94).")
    postcode = item.get("postcode")
    return Workplace(
        name=str(item["name"]),
        lat=float(lat) if lat is not None else None,
        lon=float(lon) if lon is not None else None,
        postcode=str(postcode).zfill(4) if postcode is not None else None,
    )


def _pilot(item: object, file: Path, index: int) -> Pilot:
    where = f"{file}: field 'pilots[{index}]'"
    if not isinstance(item, dict) or not item.get("measure"):
        raise ConfigError(f"{where} needs 'measure' (a catalogue id), 'start', 'end' and 'participants'.")
    participants = item.get("participants") or {}
    if not isinstance(participants, dict):
        raise ConfigError(f"{where}: 'participants' must be a mapping such as {{workplace: Gol sjukeheim}}.")
    start = _date(item.get("start"), f"{where}.start")
    end = _date(item.get("end"), f"{where}.end")
    if end < start:
        raise ConfigError(f"{where}: 'end' ({end}) is before 'start' ({start}).")
    return Pilot(measure=str(item["measure"]), start=start, end=end, participants=participants)
