"""The classroom dashboard page, served by `run.py app` (which runs `solara run sim.app.page`).

Laid out for a 1366x768 projector: the round banner, the issue-space map (more than half the width) and the "why"
panel fit above the fold; the talks over time and the states table follow below. Mesa's ModelController provides
Reset, play and Step; this module adds the scenario menu and the controls for the next run.

Mesa's SolaraViz itself is not used: it always shows its Play Interval, Render Interval and Use Threads controls,
which mean nothing to a class, and lays the panels out on a draggable grid of fixed 390 px cells that leaves the map
small and pushes the "why" panel below the fold. The page composes the same Mesa parts (ModelController, its
update_counter) instead. The scenario to open and the folder the menu lists come from the environment variables
below, which `run.py app` sets.
"""

from __future__ import annotations

import os
from html import escape
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import solara
from mesa.visualization import Slider
from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import update_counter

from ..loader import ScenarioError
from .live import LiveNegotiation, model_params, scenario_files
from .views import (
    ISSUE_SPACE_SIZE,
    RULE_NAMES,
    dimension_label,
    figure_png,
    map_png,
    over_time_figure,
    pending_changes,
    round_status,
    rule_choice,
    settings_in_use,
    states_rows,
    why_stuck,
    why_stuck_lines,
    why_title,
)

SCENARIO_ENV = "TREATYSIM_SCENARIO"
SCENARIOS_ENV = "TREATYSIM_SCENARIOS"
# Pause between rounds when playing; drawing a round adds its own time (benchmarks/bench_dashboard.py measures both:
# about 0.6 s a round, so the classroom talks' 39 rounds play in about half a minute).
PLAY_INTERVAL_MS = 400

# Sizes are for a 1366x768 projector: the sidebar is 270 px, the map's column 62% of the rest (about 645 px, 47% of
# the page), the "why" panel beside it; everything above .below-fold fits in 768 px.
CSS = """
/* Solara's sidebar is at least 400 px wide, which would leave the map a third of the page. */
.v-application .v-navigation-drawer { width: 270px !important; min-width: 270px !important; }
.v-application .v-main, .v-application .v-content { padding-left: 270px !important; }
.v-navigation-drawer .v-card { width: 100%; }
.v-navigation-drawer .v-select__selection, .v-navigation-drawer .v-label { font-size: 0.92rem; }
.run-card .v-btn { min-width: 0 !important; padding: 0 12px !important; }
.v-navigation-drawer .v-card__title { padding: 8px 12px 4px 12px; font-size: 1.05rem; }
.v-navigation-drawer .v-card__text { padding: 4px 12px 8px 12px; }
/* The page's columns put a 12 px gap around the app bar's and sidebar's (invisible) places above the banner. */
.v-sheet:has(> .treatysim-main), .v-sheet:has(> .v-sheet > .treatysim-main) { gap: 0 !important; }
.solara-autorouter-content { margin-top: -8px; }
.treatysim-main { padding: 0 10px; width: 100%; }
.treatysim-banner { align-items: baseline; padding: 4px 6px 2px 6px; flex-wrap: nowrap; }
.treatysim-banner .round-counter { font-size: 2rem; font-weight: 700; white-space: nowrap; margin-right: 20px; }
.treatysim-banner .round-status { font-size: 1.05rem; }
.treatysim-banner .settings { font-size: 0.85rem; color: #555; margin-top: 2px; }
.treatysim-grid { display: grid; grid-template-columns: minmax(0, 62fr) minmax(0, 38fr); gap: 10px;
                  align-items: start; }
.treatysim-panel { width: 100%; }
.treatysim-panel img { display: block; margin: 0 auto; width: 100%; height: auto; }
.issue-space .axis-menus { padding: 0 4px; gap: 12px; }
.issue-space .axis-menus .v-input { margin-top: 0; padding-top: 0; }
.why-panel { max-height: 560px; overflow-y: auto; padding: 2px 10px; border-left: 4px solid #1976d2;
             background: #f7f9fc; }
.why-panel h3 { margin: 6px 0 8px 0; font-weight: 600; font-size: 1.25rem; }
.why-panel p { margin-bottom: 7px; font-size: 1rem; line-height: 1.4; }
.states-table { padding: 0 8px; }
.states-table h3 { margin: 4px 0 8px 0; font-weight: 500; }
.states-table table { border-collapse: collapse; font-size: 0.85rem; }
.states-table th { font-weight: 500; vertical-align: bottom; }
.states-table th, .states-table td { padding: 2px 5px; border-bottom: 1px solid #ddd; text-align: left; }
.scenario-menu { text-transform: none; justify-content: space-between; }
.legend-note { font-size: 0.85rem; color: #444; text-align: center; }
.controls-note { font-size: 0.85rem; color: #444; }
.reset-cue { font-size: 0.9rem; }
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


# -------------------------------------------------------------------------------------------------- panels --
@solara.component
def IssueSpace(model: LiveNegotiation, drawn_for: solara.Reactive):
    """States in the issue space on two dimensions chosen from the menus. `drawn_for` is set to (model, round)
    once the map of that round is drawn."""
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
    # Drawn in a thread (see OverTime): the counter and the "why" panel show the round at once, the map follows.
    # The panel's class names the round its picture shows (map-round-N), for tests and benchmarks to wait on.
    def draw():
        round_no = model.round
        png = map_png(model, pair)
        drawn_for.set((model, round_no))
        return round_no, png

    drawn = solara.lab.use_task(draw, dependencies=[model, model.round, pair], prefer_threaded=True)
    shown = f"map-round-{drawn.latest[0]}" if drawn.latest is not None else "map-pending"
    with solara.Column(classes=["treatysim-panel", "issue-space", shown], gap="0px"):
        with solara.Row(classes=["axis-menus"]):
            solara.Select("Across", values=names, value=x_label, on_value=set_x, dense=True)
            solara.Select("Up", values=names, value=y_label, on_value=set_y, dense=True)
        if drawn.latest is not None:
            solara.Image(drawn.latest[1])
        else:  # the first picture: keep the map's place so the page does not jump when it arrives
            solara.Div(style={"aspect-ratio": f"{ISSUE_SPACE_SIZE[0]} / {ISSUE_SPACE_SIZE[1]}", "width": "100%"})
        solara.Div(children=["Dot size: capability. Colour: coalition. Red ring: objects to the draft. "
                             "Star: the draft core. Dashed lines: tier thresholds."], classes=["legend-note"])


@solara.component
def OverTime(model: LiveNegotiation, map_drawn_for: solara.Reactive):
    """Support for the draft, dispersion, and members of the core and each tier, round by round."""
    update_counter.get()
    # Drawn in a thread after the page has shown the round, and after the map of the round is drawn: the counter,
    # the "why" panel and the map above the fold should not wait for it or share the processor with it. The last
    # picture stays until the new one is ready; the panel's class names the round it shows.
    ready = map_drawn_for.value == (model, model.round)
    drawn = solara.lab.use_task(lambda: (model.round, figure_png(over_time_figure(model))) if ready else None,
                                dependencies=[model, model.round, ready], prefer_threaded=True)
    last = solara.use_ref(None)
    if drawn.latest is not None:
        last.current = drawn.latest
    shown = f"over-time-round-{last.current[0]}" if last.current is not None else "over-time-pending"
    with solara.Column(classes=["treatysim-panel", "over-time", shown]):
        if last.current is not None:
            solara.Image(last.current[1])


@solara.component
def WhyPanel(model: LiveNegotiation):
    """Why the talks stand where they do: who blocks and what would tip the vote, or what tipped it and who joined
    the core and each tier. Its title follows the state of the talks."""
    update_counter.get()

    def content():
        report = why_stuck(model)
        return why_title(model, report), why_stuck_lines(model, report)

    title, lines = solara.use_memo(content, [model, model.round])
    with solara.Column(classes=["treatysim-panel", "why-panel", f"why-round-{model.round}"], gap="0px"):
        solara.HTML(tag="h3", unsafe_innerHTML=escape(title), classes=["why-title"])
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


# ------------------------------------------------------------------------------------------------ controls --
def control_values(params: dict) -> dict:
    """What Reset builds the next model with when no control was touched: each control's starting value."""
    values = {}
    for name, spec in params.items():
        if isinstance(spec, Slider):
            values[name] = spec.value
        elif isinstance(spec, dict):
            values[name] = spec["value"]
        else:
            values[name] = spec
    return values


def slider_label(name: str, label: str, value) -> str:
    """A slider's label with its value: 'Flexibility \u00d71.50', 'Threshold: 0.67', 'Seed: 3'."""
    if name == "flexibility_scale":
        return f"{label} \u00d7{value:.2f}"
    if isinstance(value, float):
        return f"{label}: {value:.2f}"
    return f"{label}: {value}"


@solara.component
def NextRunControls(params: dict, values: solara.Reactive, model: LiveNegotiation):
    """The model's controls, each with its value in its label, and a cue naming those that differ from the run on
    screen: they take effect when Reset is pressed."""
    update_counter.get()

    def setter(name):
        return lambda value: values.set({**values.value, name: value})

    for name, spec in params.items():
        if isinstance(spec, Slider):
            widget = solara.SliderFloat if spec.is_float_slider else solara.SliderInt
            widget(slider_label(name, spec.label, values.value[name]), value=values.value[name],
                   on_value=setter(name), min=spec.min, max=spec.max, step=spec.step)
        elif isinstance(spec, dict) and name == "decision":
            solara.Select(spec["label"], values=[RULE_NAMES.get(v, v) for v in spec["values"]],
                          value=RULE_NAMES.get(values.value[name], values.value[name]),
                          on_value=lambda label: setter("decision")(rule_choice(label)))
        elif isinstance(spec, dict):
            solara.Select(spec["label"], values=list(spec["values"]), value=values.value[name],
                          on_value=setter(name))
    changed = pending_changes(model, values.value)
    if changed:
        solara.Warning(f"Changed: {', '.join(changed)}. Press Reset to apply.", dense=True, classes=["reset-cue"])
    else:
        solara.Div(children=["A changed control applies when you press Reset."], classes=["controls-note"])


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
    values = solara.use_reactive({} if failed else control_values(opened[0]))
    play_interval = solara.use_reactive(PLAY_INTERVAL_MS)
    render_interval = solara.use_reactive(1)  # every round is drawn
    use_threads = solara.use_reactive(False)
    map_drawn_for = solara.use_reactive(None)  # (model, round) of the map last drawn
    if failed:
        solara.Error(f"Cannot open this scenario: {opened}")
        return
    params, first = opened
    with solara.AppBar():
        solara.AppBarTitle(f"treatysim: {first.scenario.metadata.title}")
    with solara.Sidebar():
        with solara.Card("Run", margin=0, classes=["run-card"]):
            ModelController(model, model_parameters=values, play_interval=play_interval,
                            render_interval=render_interval, use_threads=use_threads)
        with solara.Card("Next run", margin=0):
            NextRunControls(params, values, model.value)
    with solara.Column(classes=["treatysim-main"], gap="4px"):
        Banner(model)
        with solara.Div(classes=["treatysim-grid"]):
            IssueSpace(model.value, map_drawn_for)
            WhyPanel(model.value)
            OverTime(model.value, map_drawn_for)
            States(model.value)


@solara.component
def ScenarioMenu(menu: dict[str, str], current: str):
    """The files of the scenarios folder as links: choosing one loads the page afresh with that file.

    A fresh page rather than a swap in place: the controls keep their state in the sidebar, which survives a
    swap, so Reset would rebuild the old scenario with the old defaults.
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
        with solara.Card("Scenario", margin=0):
            ScenarioMenu(menu, choice)
    if asked is not None and asked not in menu:
        solara.Warning(f"No scenario {asked!r} in the menu; showing {choice}.")
    Dashboard(menu[choice])
