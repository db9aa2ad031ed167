"""The classroom dashboard, built on Solara and Mesa's visualisation parts and served by `run.py app`. The model
never imports it.

live   the dashboard's model: a NegotiationModel built from a scenario file and the dashboard's controls
views  what the page shows, drawn from a live model (matplotlib figures and the panels' text; no Solara)
page   the Solara page (imported only by the server that `run.py app` starts)
"""

from .live import LiveNegotiation, build_scenario, model_params, scenario_files, states_now

__all__ = ["LiveNegotiation", "build_scenario", "model_params", "scenario_files", "states_now"]
