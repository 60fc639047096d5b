"""``grontur catalogue validate | list | show ID``: check and read the measures catalogue."""

from __future__ import annotations

import json
from pathlib import Path

import click

from grontur.i18n import has, t

_LANG = click.option("--lang", type=click.Choice(["nn", "nb", "en"]), default="nn", show_default=True,
                     help="Language of the texts shown.")
_PATH = click.option("--path", "path", type=click.Path(exists=True, path_type=Path), default=None,
                     help="A folder (or file) of measures instead of the shipped catalogue.")
_JSON = click.option("--json", "as_json", is_flag=True, help="Print the entries as JSON (all languages).")
_EXTRA = click.option("--extra", type=click.Path(exists=True, path_type=Path), default=None,
                      help="A project's own folder of measures, added to (and overriding) the catalogue.")


@click.group("catalogue")
def command() -> None:
    """Check and read the catalogue of workplace mobility measures."""


@command.command("validate")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@_EXTRA
@_LANG
def validate(path: Path | None, extra: Path | None, lang: str) -> None:
    """Check every measure file and list all problems (exit status 2 if there are any)."""
    from grontur.catalogue import default_path, validate_catalogue

    valid, problems = validate_catalogue(path, extra=extra)
    if problems:
        click.echo(t("catalogue.cli.invalid", lang, problems=len(problems), valid=valid), err=True)
        for problem in problems:
            click.echo(f"  - {problem}", err=True)
        raise click.exceptions.Exit(2)
    click.echo(t("catalogue.cli.valid", lang, n=valid, path=path or default_path()))


@command.command("list")
@_PATH
@_EXTRA
@click.option("--family", default=None, help="Show only one family (parking, cycling, transit, ...).")
@_JSON
@_LANG
def list_(path: Path | None, extra: Path | None, family: str | None, as_json: bool, lang: str) -> None:
    """List the measures: id, family, cost class, time to effect and name."""
    from grontur.catalogue import load_catalogue

    catalogue = load_catalogue(path, extra=extra)
    measures = catalogue.by_family(family) if family else list(catalogue.values())
    if as_json:
        click.echo(json.dumps([m.as_dict() for m in measures], ensure_ascii=False, indent=2))
        return
    if not measures:
        click.echo(t("catalogue.cli.none_in_family", lang, family=family))
        return
    rows = [(m.id, _label("family", m.family, lang), _label("cost_short", m.cost_class, lang),
             _label("time_short", m.time_to_effect, lang), m.name[lang]) for m in measures]
    header = tuple(t(f"catalogue.cli.column.{name}", lang) for name in ("id", "family", "cost", "time", "name"))
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(4)]
    for row in (header, *rows):
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)) + "  " + row[4])
    click.echo(t("catalogue.cli.count", lang, n=len(rows)))


@command.command("show")
@click.argument("measure_id")
@_PATH
@_EXTRA
@_JSON
@_LANG
def show(measure_id: str, path: Path | None, extra: Path | None, as_json: bool, lang: str) -> None:
    """Show one measure in full: texts, rules, effect, costs, actors, anchoring and sources."""
    from grontur.catalogue import load_catalogue

    measure = load_catalogue(path, extra=extra).get(measure_id)
    if as_json:
        click.echo(json.dumps(measure.as_dict(), ensure_ascii=False, indent=2))
        return
    for line in describe_measure(measure, lang):
        click.echo(line)


def describe_measure(measure, lang: str) -> list[str]:
    """The lines ``grontur catalogue show`` prints, every label from the translation catalogue."""

    def heading(key: str) -> str:
        return f"\n{t(f'catalogue.field.{key}', lang)}"

    def codes(kind: str, values: tuple[str, ...]) -> str:
        return "; ".join(_label(kind, v, lang) for v in values)

    tg, rq = measure.targets, measure.requires
    lines = [f"{measure.name[lang]} ({measure.id})", measure.summary[lang], ""]
    lines.append(f"{t('catalogue.field.family', lang)}: {_label('family', measure.family, lang)}")
    lines.append(f"{t('catalogue.field.tiltak_ref', lang)}: {measure.tiltak_ref}")
    if measure.origin == "project":
        lines.append(t("catalogue.field.origin_project", lang))
    lines += [heading("problem"), measure.problem[lang], heading("description"), measure.description[lang]]

    lines.append(heading("targets"))
    lines.append(t("catalogue.targets.modes", lang, modes=codes("mode", tg.modes)) if tg.modes
                 else t("catalogue.targets.any_mode", lang))
    if tg.distance_km is not None:
        lines.append(t("catalogue.targets.distance", lang, low=_num(tg.distance_km[0], lang), high=_num(tg.distance_km[1], lang)))
    if tg.barriers:
        lines.append(t("catalogue.targets.barriers", lang, codes=codes("barriers", tg.barriers)))
    if tg.would_help:
        lines.append(t("catalogue.targets.would_help", lang, codes=codes("would_help", tg.would_help)))
    if tg.would_consider:
        lines.append(t("catalogue.targets.would_consider", lang, codes=codes("mode", tg.would_consider)))
    if tg.conditions:
        conditions = "; ".join(_condition(column, value, lang) for column, value in tg.conditions.items())
        lines.append(t("catalogue.targets.conditions", lang, conditions=conditions))
    if not tg.shift_compatible:
        lines.append(t("catalogue.targets.shift_incompatible", lang))

    lines.append(heading("requires"))
    if rq.transit_service is None and rq.parking_at_work is None and not rq.facilities:
        lines.append(t("catalogue.requires.none", lang))
    if rq.transit_service is not None:
        lines.append(t("catalogue.requires.transit_service", lang, levels=codes("transit_service", rq.transit_service)))
    if rq.parking_at_work is not None:
        lines.append(t("catalogue.requires.parking_at_work", lang, levels=codes("parking", rq.parking_at_work)))
    if rq.facilities:
        facilities = ", ".join(
            f"{_label('facility', k, lang)}: {t('catalogue.facility.present' if v else 'catalogue.facility.absent', lang)}"
            for k, v in rq.facilities.items()
        )
        lines.append(t("catalogue.requires.facilities", lang, facilities=facilities))

    effect, cost = measure.effect, measure.cost
    lines.append(heading("effect"))
    lines.append(t("catalogue.effect.range", lang, low=_num(round(effect.low * 100, 1), lang),
                   high=_num(round(effect.high * 100, 1), lang), who=_label("applies_to", effect.applies_to, lang)))
    lines.append(t("catalogue.effect.source", lang, source=effect.source))
    if effect.setting is not None:
        lines.append(t("catalogue.effect.setting", lang, setting=effect.setting))
    if effect.is_assumption and effect.reason is not None:
        lines.append(t("catalogue.effect.assumption", lang, reason=effect.reason))
    lines.append(t("catalogue.effect.confidence", lang, level=_label("confidence", effect.confidence, lang)))
    if measure.capacity is not None:
        lines.append(heading("capacity"))
        lines.append(t("catalogue.capacity.default", lang, default=_num(measure.capacity.default, lang),
                       unit=_label("capacity_unit", measure.capacity.unit, lang)))
        lines.append(t("catalogue.effect.source", lang, source=measure.capacity.source))
    lines.append(heading("cost"))
    lines.append(t("catalogue.cost.range", lang, cost_class=_label("cost_class", cost.cost_class, lang),
                   one_off=_nok(cost.one_off_nok), yearly=_nok(cost.yearly_nok)))
    lines.append(t("catalogue.effect.source", lang, source=cost.source))
    lines.append(heading("time_to_effect"))
    lines.append(_label("time", measure.time_to_effect, lang))
    lines.append(heading("actors"))
    lines.append(codes("actor", measure.actors))
    lines.append(heading("anchoring"))
    lines.append("; ".join(_step_label(step, lang) for step in measure.anchoring))
    lines.append(heading("sources"))
    for source in measure.sources:
        lines.append(f"- {source.text}" + (f" <{source.url}>" if source.url else ""))
    return lines


def _label(kind: str, code: str, lang: str) -> str:
    """A code's label: grontur's own catalogue keys first, then the questionnaire's code labels."""
    for key in (f"catalogue.{kind}.{code}", f"code.{kind}.{code}"):
        if has(key):
            return t(key, lang)
    return code


def _step_label(step: str, lang: str) -> str:
    from grontur.catalogue import anchoring_step_title

    return anchoring_step_title(step, lang)


def _num(value: float, lang: str) -> str:
    text = f"{value:g}"
    return text.replace(".", ",") if lang in ("nn", "nb") else text


def _nok(bounds: tuple[float, float]) -> str:
    low, high = (f"{round(b):,}".replace(",", " ") for b in bounds)
    return low if low == high else f"{low}–{high}"


def _condition(column: str, value: object, lang: str) -> str:
    if isinstance(value, bool):
        return t(f"catalogue.condition.{column}.{'true' if value else 'false'}", lang)
    codes = value if isinstance(value, tuple) else (str(value),)
    column_kind = {"parking_at_work": "parking_at_work"}.get(column, column)
    return f"{t(f'catalogue.condition.{column}', lang)}: " + ", ".join(_label(column_kind, c, lang) for c in codes)
