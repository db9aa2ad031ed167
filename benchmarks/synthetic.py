"""A synthetic world-sized scenario for benchmarks: 193 states, 3 dimensions, 3 tiers, up to 200 rounds.

Three blocs (a transparency bloc, a sovereigntist bloc and swing states) with positions drawn around bloc centres
from a fixed seed; consensus rule; the stalemate window equals the round limit, so a run that does not adopt a text
plays all 200 rounds (the worst case for timing).
"""

from __future__ import annotations

import numpy as np

from sim.loader import scenario_from_dict

CENTRES = {
    "west": (0.8, 0.2, 0.6),
    "sovereigntist": (0.2, 0.85, 0.4),
    "swing": (0.5, 0.55, 0.55),
}


def synthetic_document(n_states: int = 193, rounds: int = 200, activation: str = "random", seed: int = 7) -> dict:
    rng = np.random.default_rng(seed)
    dims = ["attribution_transparency", "data_sovereignty", "enforcement"]
    blocs = rng.choice(list(CENTRES), size=n_states, p=[0.25, 0.2, 0.55])
    states, members = [], {name: [] for name in CENTRES}
    for i, bloc in enumerate(blocs):
        sid = f"S{i:03d}"
        ideal = np.clip(np.array(CENTRES[bloc]) + rng.normal(0, 0.08, 3), 0, 1)
        states.append({
            "id": sid,
            "ideal": {d: round(float(v), 4) for d, v in zip(dims, ideal)},
            "salience": {d: round(float(v), 4) for d, v in zip(dims, rng.uniform(0.2, 1.0, 3))},
            "capability": round(float(rng.lognormal(0.0, 1.0)), 4),
            "flexibility": round(float(rng.uniform(0.05, 0.5)), 4),
            "ratification_difficulty": round(float(rng.uniform(0.1, 0.6)), 4),
        })
        members[bloc].append(sid)
    return {
        "metadata": {"title": f"Synthetic {n_states}-state benchmark"},
        "states": states,
        "coalitions": [{"name": name, "members": ids, "cohesion": 0.6}
                       for name, ids in members.items() if name != "swing" and ids],
        "treaty": {"tiers": [
            {"name": "attribution_sharing", "at_least": {"attribution_transparency": 0.8}, "entry_threshold": 10},
            {"name": "joint_enforcement", "at_least": {"enforcement": 0.75}, "entry_threshold": 10},
            {"name": "open_data", "at_most": {"data_sovereignty": 0.2}, "entry_threshold": 10},
        ]},
        "rules": {"decision": "consensus", "ratifications_needed": 40},
        "protocol": {"activation": activation, "max_rounds": rounds, "stalemate_window": rounds},
    }


def synthetic_scenario(n_states: int = 193, rounds: int = 200, activation: str = "random", seed: int = 7):
    return scenario_from_dict(synthetic_document(n_states, rounds, activation, seed), source="<synthetic>")
