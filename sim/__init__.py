"""treatysim: an agent-based simulator of international cyber-treaty negotiations, built on Mesa."""

from .loader import ScenarioError, load_scenario, scenario_from_dict
from .schema import Scenario

__version__ = "0.1.0"

__all__ = ["Scenario", "ScenarioError", "load_scenario", "scenario_from_dict", "__version__"]
