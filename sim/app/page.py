"""The classroom dashboard page, served by `run.py app` (which runs `solara run sim.app.page`).

Mesa's SolaraViz provides the app bar, the step / play / pause / reset controls and the model's sliders and menus;
this module adds the scenario menu, the round banner and four panels: the issue space, the talks over time, "why is
it stuck?" and the states. The scenario to open and the folder the menu lists come from the environment variables
below, which `run.py app` sets.
"""

from __future__ import annotations

import io
import os
from html import escape
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from ..loader import ScenarioError
from .live import LiveNegotiation, model_params, scenario_files
from .views import (
    dimension_label,
    issue_space_figure,
    over_time_figure,
    round_status,
    settings_in_use,
    states_rows,
    why_stuck_lines,
)

SCENARIO_ENV = "TREATYSIM_SCENARIO"
SCENARIOS_ENV = "TREATYSIM_SCENARIOS"
PLAY_INTERVAL_MS = 400  # slow enough for a class to follow the dots round by round

# Mesa's grid gives every panel a cell 390 px high (resizable by dragging its corner); figures are scaled to fit one.
CSS = """
.treatysim-banner { align-items: baseline; padding: 8px 16px 0 16px; flex-wrap: nowrap; }
.treatysim-banner .round-counter { font-size: 2rem; font-weight: 700; white-space: nowrap; margin-right: 24px; }
.treatysim-banner .round-status { font-size: 1.05rem; }
.treatysim-banner .settings { font-size: 0.85rem; color: #666; margin-top: 2px; }
.treatysim-panel { width: 100%; height: 100%; overflow: auto; }
.treatysim-panel img { display: block; margin: 0 auto; width: 100%; height: auto; object-fit: contain; }
.issue-space { padding-top: 10px; }
.issue-space img { max-height: 285px; }
.over-time img { max-height: 385px; }
.why-stuck { padding: 0 8px; }
.why-stuck h3, .states-table h3 { margin: 4px 0 8px 0; font-weight: 500; }
.why-stuck p { margin-bottom: 8px; font-size: 0.98rem; line-height: 1.45; }
.states-table { padding: 0 8px; }
.states-table table { border-collapse: collapse; font-size: 0.78rem; }
.states-table th { font-weight: 500; vertical-align: bottom; }
.states-table th, .states-table td { padding: 2px 5px; border-bottom: 1px solid #ddd; text-align: left; }
.scenario-menu { text-transform: none; justify-content: space-between; }
.legend-note { font-size: 0.8rem; color: #555; text-align: center; }
/* SolaraViz puts its panels on tabbed pages; this dashboard has one page, so the tab bar says nothing. */
.v-tabs { display: none; }
"""


def scenario_menu() -> dict[str, str]:
    """Menu label -> scenario path: the files at the top of the scenarios folder, and the opened file if elsewhere."""
    folder = Path(os.environ.get(SCENARIOS_ENV, "scenarios"))
    menu = {path.name: str(path) for path in scenario_files(folder)}
    opened = os.environ.get(SCENARIO_ENV)
    if opened and Path(opened).resolve() not in {Path(p).resolve() for p in menu.values()}:
        menu = {opened: opened, **menu}
    return menu


def first_choice(menu: dict[str, str], asked: str | None = None) -> str:
    """The menu entry to open: the one asked for in the address (?scenario=NAME), else the file `run.py app` opened,
    else the first."""
    if asked in menu:
        return asked
    opened = os.environ.get(SCENARIO_ENV)
    if opened:
        for label, path in menu.items():
            if Path(path).resolve() == Path(opened).resolve():
                return label
    return next(iter(menu))


def _asked_scenario(search: str | None) -> str | None:
    values = parse_qs(search or "").get("scenario")
    return values[0] if values else None


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=150)  # sharp on projectors and high-density screens
    return buffer.getvalue()


# -------------------------------------------------------------------------------------------------- panels --
@solara.component
def IssueSpace(model: LiveNegotiation):
    """States in the issue space on two dimensions chosen from the menus."""
    update_counter.get()
    dims = model.dimensions
    labels = {dimension_label(model, d): d for d in dims}
    if len(labels) < len(dims):  # two dimensions share a label: fall back to names, which are unique
        labels = {d: d for d in dims}
    names = list(labels)
    x_label, set_x = solara.use_state(names[0])
    y_label, set_y = solara.use_state(names[1] if len(names) > 1 else names[0])
    x_label = x_label if x_label in labels else names[0]
    y_label = y_label if y_label in labels else names[-1]
    pair = (labels[x_label], labels[y_label])
    png = solara.use_memo(lambda: _png(issue_space_figure(model, pair)), [model, model.round, pair])
    with solara.Column(classes=["treatysim-panel", "issue-space"], gap="0px"):
        with solara.Row(style={"padding": "0 8px"}):
            solara.Select("Across", values=names, value=x_label, on_value=set_x, dense=True)
            solara.Select("Up", values=names, value=y_label, on_value=set_y, dense=True)
        solara.Image(png)
        solara.Div(children=["Dot size: capability. Colour: coalition. Red ring: objects to the draft. "
                             "Star: the draft core. Dashed lines: tier thresholds."], classes=["legend-note"])


@solara.component
def OverTime(model: LiveNegotiation):
    """Support for the draft, dispersion, and members of the core and each tier, round by round."""
    update_counter.get()
    png = solara.use_memo(lambda: _png(over_time_figure(model)), [model, model.round])
    with solara.Column(classes=["treatysim-panel", "over-time"]):
        solara.Image(png)


@solara.component
def WhyStuck(model: LiveNegotiation):
    """Who blocks the draft, the dimension dividing them and the concession that would tip the vote."""
    update_counter.get()
    lines = solara.use_memo(lambda: why_stuck_lines(model), [model, model.round])
    with solara.Column(classes=["treatysim-panel", "why-stuck"], gap="0px"):
        solara.HTML(tag="h3", unsafe_innerHTML="Why is it stuck?")
        for label, sentence in lines:
            bold = f"<b>{escape(label)}</b> " if label else ""
            solara.HTML(tag="p", unsafe_innerHTML=bold + escape(sentence))


@solara.component
def States(model: LiveNegotiation):
    """Where each state stands now, and whether it backs the draft."""
    update_counter.get()
    header, rows = solara.use_memo(lambda: states_rows(model), [model, model.round])
    head = "".join(f"<th>{escape(cell)}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    with solara.Column(classes=["treatysim-panel", "states-table"], gap="0px"):
        solara.HTML(tag="h3", unsafe_innerHTML="The states")
        solara.HTML(tag="table", unsafe_innerHTML=f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody>")


@solara.component
def Banner(model: solara.Reactive):
    """The round counter and one line on where the talks stand, above the panels."""
    update_counter.get()
    counter, status = round_status(model.value)
    with solara.Row(classes=["treatysim-banner"]):
        solara.Div(children=[counter], classes=["round-counter"])
        with solara.Column(gap="0px"):
            solara.Div(children=[status], classes=["round-status"])
            solara.Div(children=[settings_in_use(model.value)], classes=["settings"])


# ---------------------------------------------------------------------------------------------------- page --
def _open(path: str):
    """(controls, first model) for a scenario file, or the error to show instead."""
    try:
        return model_params(path), LiveNegotiation(scenario=path)
    except (ScenarioError, OSError) as exc:
        return str(exc)


@solara.component
def Dashboard(path: str):
    opened = solara.use_memo(lambda: _open(path), [path])
    failed = isinstance(opened, str)
    model = solara.use_reactive(None if failed else opened[1])
    if failed:
        solara.Error(f"Cannot open this scenario: {opened}")
        return
    params, first = opened
    Banner(model)
    SolaraViz(model, components=[IssueSpace, OverTime, WhyStuck, States], model_params=params,
              name=f"treatysim: {first.scenario.metadata.title}", play_interval=PLAY_INTERVAL_MS)


@solara.component
def ScenarioMenu(menu: dict[str, str], current: str):
    """The files of the scenarios folder as links: choosing one loads the page afresh with that file.

    A fresh page rather than a swap in place: SolaraViz keeps its controls' state in the sidebar, which survives a
    swap, so its Reset would rebuild the old scenario with the old defaults.
    """
    items = [solara.v.ListItem(href=f"?{urlencode({'scenario': label})}", input_value=label == current,
                               color="primary", children=[solara.v.ListItemTitle(children=[label])])
             for label in menu]
    activator = solara.v.Btn(v_on="menu.on", outlined=True, block=True, class_="scenario-menu",
                             children=[current, solara.v.Icon(right=True, children=["mdi-menu-down"])])
    solara.v.Menu(offset_y=True, v_slots=[{"name": "activator", "variable": "menu", "children": activator}],
                  children=[solara.v.List(dense=True, children=items)])


@solara.component
def Page():
    solara.Style(CSS)
    menu = solara.use_memo(scenario_menu, [])
    asked = _asked_scenario(solara.use_router().search)
    if not menu:
        solara.Error(f"No scenario files (*.yaml) in {os.environ.get(SCENARIOS_ENV, 'scenarios')}.")
        return
    choice = first_choice(menu, asked)
    with solara.Sidebar():
        with solara.Card("Scenario"):
            ScenarioMenu(menu, choice)
            solara.Text("Choosing a file starts new talks with its states and settings. Sliders and menus "
                        "under Model Parameters take effect when you press Reset.", style={"font-size": "0.85rem"})
    if asked is not None and asked not in menu:
        solara.Warning(f"No scenario {asked!r} in the menu; showing {choice}.")
    Dashboard(menu[choice])
