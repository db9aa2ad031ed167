"""State agents: thin Mesa agents whose state lives in the model's arrays.

An agent is a row of the model's arrays. It acts when Mesa activates it (random sequential activation shuffles the
AgentSet every phase); what it does is computed by the pure functions in sim.maths.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .model import NegotiationModel


class StateAgent(mesa.Agent):
    """A negotiating state."""

    model: "NegotiationModel"

    def __init__(self, model: "NegotiationModel", row: int, state_id: str, name: str):
        super().__init__(model)
        self.row = row
        self.state_id = state_id
        self.name = name or state_id

    # --- views on the model's arrays (read-only copies, so that nothing outside the model changes its state) ---
    @property
    def position(self) -> np.ndarray:
        return self.model.position[self.row].copy()

    @property
    def ideal(self) -> np.ndarray:
        return self.model.ideal[self.row].copy()

    @property
    def salience(self) -> np.ndarray:
        return self.model.salience[self.row].copy()

    @property
    def capability(self) -> float:
        return float(self.model.capability[self.row])

    @property
    def flexibility(self) -> float:
        return float(self.model.flexibility[self.row])

    @property
    def engaged(self) -> bool:
        return bool(self.model.engaged[self.row])

    @property
    def supports(self) -> bool:
        return bool(self.model.support[self.row])

    @property
    def coalition(self) -> str | None:
        return self.model.coalition_of(self.row)

    # --- actions: called by Mesa's AgentSet in random sequential activation ---
    def concede(self, turns: list[int]) -> None:
        """Take this state's turn to concede: Mesa calls the states in its random order, and each state's move,
        toward the draft and its trusted partners from where they stand at its turn, is made in that order by
        maths.Concession.move_in_order (in Python, or in one compiled loop for the round)."""
        turns.append(self.row)

    def __repr__(self) -> str:
        return f"StateAgent({self.state_id})"
