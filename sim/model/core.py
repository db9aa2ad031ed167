"""The negotiation model: state agents under Mesa, one round per step, six phases per round.

State lives in numpy arrays (one row per state) and the maths in sim.maths; each phase has its own module in this
package (drafting, decisions, concession, coalitions, ratification, events, explanation). This module sets the model
up, says the order of the phases, checks how the talks end and records what happens. See docs/ODD.md.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass, field

import mesa
import numpy as np

from .. import maths
from ..agents import StateAgent
from ..schema import Scenario
from . import coalitions, concession, decisions, drafting, events, ratification
from .coalitions import Coalition

OUTCOMES = ("agreement", "partial_agreement", "signed_not_in_force", "stalemate", "collapse", "timeout")
DAYS_PER_MONTH = 365.2425 / 12


@dataclass
class Log:
    """What the model records over time (one entry per round, round 0 being the start)."""

    position: list = field(default_factory=list)
    utility: list = field(default_factory=list)
    declaration: list = field(default_factory=list)
    cost: list = field(default_factory=list)
    mandate: list = field(default_factory=list)
    support: list = field(default_factory=list)
    would_sign: list = field(default_factory=list)
    tiers: list = field(default_factory=list)
    engaged: list = field(default_factory=list)
    signed: list = field(default_factory=list)
    ratified: list = field(default_factory=list)
    label: list = field(default_factory=list)
    draft: list = field(default_factory=list)
    chair: list = field(default_factory=list)
    movement: list = field(default_factory=list)
    events: list = field(default_factory=list)
    adopted: list = field(default_factory=list)
    adoptable_found: list = field(default_factory=list)
    tier_alive: list = field(default_factory=list)
    in_force: list = field(default_factory=list)


class NegotiationModel(mesa.Model):
    """Treaty talks among the states of a scenario. Run with `run_once` (sim.runner) or step by step."""

    def __init__(self, scenario: Scenario, seed: int, max_rounds: int | None = None):
        super().__init__(seed=int(seed))
        self.scenario = scenario
        self.seed = int(seed)
        self.max_rounds = int(max_rounds or scenario.protocol.max_rounds)
        self.round = 0
        self._init_states()
        self._init_agents()
        self._init_coalitions()
        self._init_trust()
        self._init_treaty()
        self._init_events()
        self.log = Log()
        self._record(movement=0.0, applied=[])

    # ------------------------------------------------------------------------------------------------- set-up --
    def _init_states(self) -> None:
        sc = self.scenario
        dims = sc.dimension_names
        self.dimensions = dims
        self.ids = sc.state_ids
        self.index = {sid: i for i, sid in enumerate(self.ids)}
        self.n, self.k = len(self.ids), len(dims)
        self.ideal = np.array([[s.ideal[d] for d in dims] for s in sc.states], dtype=float)
        raw_salience = np.array(
            [[(s.salience or {}).get(d, 0.0) if s.salience is not None else 1.0 for d in dims] for s in sc.states],
            dtype=float)
        self.raw_salience = raw_salience
        self.salience = maths.normalise_salience(raw_salience)
        self.raw_capability = np.array([s.capability for s in sc.states], dtype=float)
        # only ratios matter: scaled so that no sum overflows
        self.capability = self.raw_capability / self.raw_capability.max()
        self.flexibility = np.array([s.flexibility for s in sc.states], dtype=float)
        self.reservation = np.array([s.reservation for s in sc.states], dtype=float)
        self.difficulty = np.array([s.ratification_difficulty for s in sc.states], dtype=float)
        self.low = np.zeros((self.n, self.k))
        self.high = np.ones((self.n, self.k))
        for i, s in enumerate(sc.states):
            for d, bounds in s.red_lines.items():
                j = dims.index(d)
                if bounds.min is not None:
                    self.low[i, j] = bounds.min
                if bounds.max is not None:
                    self.high[i, j] = bounds.max
        self._draw_uncertain_inputs()
        self.opening = self.ideal.copy()
        for i, s in enumerate(sc.states):
            for d, v in (s.opening or {}).items():
                self.opening[i, dims.index(d)] = v
        self.position = self.opening.copy()
        self.engaged = np.array([s.at_table for s in sc.states], dtype=bool)
        self.ever_engaged = self.engaged.copy()
        # Random utility: each state's value of no treaty carries a shock drawn once per run (the analyst's
        # uncertainty about domestic politics); drawn for every state in row order. 0 noise: deterministic.
        noise = sc.protocol.decision_noise
        self.reservation_now = self.reservation + noise * self.rng.standard_normal(self.n)
        self.support = np.zeros(self.n, bool)  # nothing has been declared before the first round
        self.declaration: np.ndarray | None = None
        self.would_sign = np.zeros(self.n, bool)
        self.objection_cost_now = np.zeros(self.n)
        self.mandate_now = np.zeros(self.n)
        self.reciprocity = np.ones(self.n)
        self.received = np.zeros(self.n)  # how far the others have conceded toward each state, over the talks
        self.given = np.zeros(self.n)  # ...and how far it has conceded toward them
        self.departures: list[dict] = []
        self.signed = np.zeros(self.n, bool)
        self.ratified = np.zeros(self.n, bool)
        self.objections = np.zeros(self.n, dtype=np.int64)  # rounds in which a failed vote found the state objecting
        self.holdouts = np.zeros(self.n, dtype=np.int64)  # ...and even had its mandate come all the way to the text
        self.objection_streak = np.zeros(self.n, dtype=np.int64)
        self.utility = np.zeros(self.n)

    def _draw_uncertain_inputs(self) -> None:
        """Values given with an uncertainty are drawn once per run, from a generator of their own spawned from the
        run's seed (so that a scenario without uncertainty draws nothing and keeps every other stream as it was):
        normal around the stated value, held within the value's range and the state's red lines; capability
        log-normal with the stated mean and standard deviation. One draw per state and slot in row order, used or
        not, so that adding uncertainty to one state does not change the draws of another."""
        self.drawn_inputs: dict[str, dict] = {}
        sc = self.scenario
        if not any(s.uncertainty for s in sc.states):
            return
        rng = np.random.default_rng([self.seed, 1])
        z = rng.standard_normal((self.n, self.k + 4))
        for i, s in enumerate(sc.states):
            u = s.uncertainty
            if u is None:
                continue
            drawn: dict = {}
            for d, sd in u.ideal.items():
                j = self.dimensions.index(d)
                value = np.clip(self.ideal[i, j] + sd * z[i, j], self.low[i, j], self.high[i, j])
                self.ideal[i, j] = value
                drawn.setdefault("ideal", {})[d] = round(float(value), 6)
            if u.capability > 0:
                mean = float(s.capability)
                sigma2 = np.log1p((u.capability / mean) ** 2)
                self.raw_capability[i] = mean * np.exp(np.sqrt(sigma2) * z[i, self.k] - sigma2 / 2)
                drawn["capability"] = round(float(self.raw_capability[i]), 6)
            for slot, (name, values, low, high) in enumerate((
                    ("flexibility", self.flexibility, 0.0, 1.0), ("reservation", self.reservation, -1.0, 1.0),
                    ("ratification_difficulty", self.difficulty, 0.0, 1.0)), start=self.k + 1):
                sd = getattr(u, name)
                if sd > 0:
                    values[i] = np.clip(values[i] + sd * z[i, slot], low, high)
                    drawn[name] = round(float(values[i]), 6)
            self.drawn_inputs[s.id] = drawn
        self.capability = self.raw_capability / self.raw_capability.max()

    def _init_agents(self) -> None:
        for i, s in enumerate(self.scenario.states):
            StateAgent(self, i, s.id, s.name)
        self.state_agents = list(self.agents)  # in row order; indexing an AgentSet in a loop rebuilds a list each time
        # Mesa 3.3.1 keeps a per-model id counter in a class-level dict (Agent._ids) and so never frees a model
        # (mesa issue #3179, fixed after 3.3.1). No agent is created after this point, so the counter can go.
        mesa.Agent._ids.pop(self, None)

    def _init_coalitions(self) -> None:
        self.coalitions: list[Coalition] = []
        self.label = np.full(self.n, -1, dtype=np.int64)
        for c in self.scenario.coalitions:
            members = [self.index[m] for m in c.members]
            leader = self.index[c.leader] if c.leader else max(members, key=lambda i: (self.capability[i], -i))
            self.label[members] = len(self.coalitions)
            self.coalitions.append(Coalition(c.name, leader, c.cohesion))

    def _init_trust(self) -> None:
        n = self.n
        self.relation_trust = np.full((n, n), np.nan)
        for r in self.scenario.relations:
            s, t = self.index[r.source], self.index[r.target]
            self.relation_trust[s, t] = r.trust
            if r.mutual:
                self.relation_trust[t, s] = r.trust
        self.grievance = np.zeros((n, n))
        self.rebuild_trust()

    def _init_treaty(self) -> None:
        treaty, dims = self.scenario.treaty, self.dimensions
        self.core_floor = np.zeros(self.k)
        self.core_ceiling = np.ones(self.k)
        for d, v in treaty.core.at_least.items():
            self.core_floor[dims.index(d)] = v
        for d, v in treaty.core.at_most.items():
            self.core_ceiling[dims.index(d)] = v
        self.tier_names = [t.name for t in treaty.tiers]
        self.n_tiers = len(self.tier_names)
        self.tier_floor = np.zeros((self.n_tiers, self.k))
        self.tier_ceiling = np.ones((self.n_tiers, self.k))
        for j, t in enumerate(treaty.tiers):
            for d, v in t.at_least.items():
                self.tier_floor[j, dims.index(d)] = v
            for d, v in t.at_most.items():
                self.tier_ceiling[j, dims.index(d)] = v
        # A tier never undoes the core's own floors and ceilings.
        self.tier_floor = np.maximum(self.tier_floor, self.core_floor)
        self.tier_ceiling = np.minimum(self.tier_ceiling, self.core_ceiling)
        self.tier_threshold = np.array([t.entry_threshold for t in treaty.tiers], dtype=np.int64)
        self.tiers = np.zeros((self.n, self.n_tiers), bool)
        self.tier_alive = np.zeros(self.n_tiers, bool)
        self.draft = maths.bound_text(
            maths.compromise(self.position, self.salience, self.capability, self.engaged),
            self.core_floor, self.core_ceiling)
        self.tier_text = maths.tier_texts(self.draft, self.tier_floor, self.tier_ceiling)
        self.chair = drafting.SECRETARIAT
        self.near_miss: np.ndarray | None = None
        self.draft_evaluation = None  # the chair's evaluation of the text it tabled, reused by respond
        self.evaluation = None
        self.adoptable_found = False
        self.best_shortfall = np.inf
        self.search_size = 0
        self.last_search = None  # what the chair's last search saw (see drafting.propose)
        self.last_response = None  # what the states' last answer after adoption rested on (see decisions.respond)
        self.last_tiers = None  # what the last tier choices rested on
        self.last_coalitions = None  # mandates and table at the last coalition update
        self.memo: dict = {}  # values kept between rounds with the stamp of what they rest on (decisions, concession)
        self.events_applied = 0
        self.rule_now = (self.scenario.rules.decision, self.scenario.rules.threshold)
        self.adopted_round: int | None = None
        self.adopted_by: str | None = None
        self.opening_signatories: int | None = None
        self.opening_round: int | None = None  # the round the adopted text opens for signature
        self.in_force_round: int | None = None
        self.outcome: str | None = None
        self.end_reason = ""
        self.still_rounds = 0
        self.stalled_since: int | None = None
        rules = self.scenario.rules
        self.ratification_window = max(1, int(round(rules.ratification_window_months
                                                    / self.scenario.protocol.round_months)))
        self.window_closes = self.max_rounds
        # expected ratifications a membership needs to be worth anything: those for entry into force
        self.parties_needed = float(self.scenario.ratifications_needed())
        self._weights: dict[str, np.ndarray] = {}

    def _init_events(self) -> None:
        # Explicit tie-breaker: events of the same round happen in the order the scenario lists them.
        # Events after the last round can never happen, so they must not hold off a stalemate either.
        self.pending_events = sorted(((i, e) for i, e in enumerate(self.scenario.events) if e.round <= self.max_rounds),
                                     key=lambda item: (item[1].round, item[0]))

    # ------------------------------------------------------------------------------------------------ the round --
    def step(self) -> None:
        """One round of negotiation."""
        self.round += 1
        applied = events.apply_events(self)
        self.events_applied += len(applied)
        before = self.position.copy()
        if self.adopted_round is None and self._too_few_at_table():
            self._record(0.0, applied)  # walk-outs at the start of the round leave nobody to vote
            self._finish("collapse", "too few states remain at the table")
            return
        draft_before = self.draft.copy()
        if self.adopted_round is None:
            drafting.propose(self)
        decisions.respond(self)
        if concession.concede(self):
            coalitions.update_coalitions(self)
        if self.adopted_round is None:
            decisions.decide(self)
        else:
            ratification.ratify(self)
        movement = maths.movement(self.position, before, self.engaged, self.draft, draft_before)
        self._record(movement, applied)
        self._check_end(movement)

    # ------------------------------------------------------------------------------------------- shared state --
    def weights(self, rule: str) -> np.ndarray:
        """Vote weights of the engaged states under a rule (cached until the table changes)."""
        cached = self._weights.get(rule)
        if cached is None:
            cached = self._weights[rule] = maths.vote_weights(rule, self.capability, self.engaged)
        return cached

    def value_weights(self, rule: str) -> np.ndarray:
        """How much each engaged state's membership adds to the treaty's value under a rule (N,): the rule's weights
        (states under count rules, capability under capability rules) as a share of every state in the scenario,
        at the table or not. The treaty's value is what share of the world joins it, so a walk-out or a state not
        yet at the table leaves the others' membership worth what it was, not more."""
        key = ("value", rule)
        cached = self._weights.get(key)
        if cached is None:
            everyone = np.ones(self.n, bool)
            cached = self._weights[key] = maths.vote_weights(rule, self.capability, everyone) * self.engaged
        return cached

    def table_changed(self) -> None:
        """Someone left or joined: weights and partner pulls must be rebuilt."""
        self._weights = {}
        self._partners_stale = True

    def engaged_leaders(self) -> list[int]:
        """Rows of the engaged leaders of the live coalitions, in the order the coalitions formed."""
        return [c.leader for c in self.coalitions if c.alive and self.engaged[c.leader]]

    def rebuild_trust(self) -> None:
        """Trust from coalitions and relations, less grievances; partner weights follow it."""
        trust = np.full((self.n, self.n), self.scenario.protocol.base_trust)
        for label, coalition in enumerate(self.coalitions):
            if not coalition.alive:
                continue
            members = np.flatnonzero(self.label == label)
            trust[np.ix_(members, members)] = coalition.cohesion
        trust = np.where(np.isnan(self.relation_trust), trust, self.relation_trust)
        trust = np.clip(trust - self.grievance, 0.0, 1.0)
        np.fill_diagonal(trust, 0.0)
        self.trust = trust
        self._partners_stale = True

    def partners(self) -> maths.Partners:
        if self._partners_stale:  # rebuilt only when trust or the states at the table change
            self._partner_weights = maths.Partners(maths.partner_weights(self.trust, self.capability, self.engaged))
            self._partners_stale = False
        return self._partner_weights

    def date_of(self, round_: int | None) -> str | None:
        """Calendar date (YYYY-MM-DD) of a round, from the protocol's start date and round length."""
        if round_ is None:
            return None
        protocol = self.scenario.protocol
        start = datetime.date.fromisoformat(protocol.start_date)
        months = round_ * protocol.round_months
        whole = int(np.floor(months + 1e-9))
        year, month = divmod(start.month - 1 + whole, 12)
        year += start.year
        day = min(start.day, calendar.monthrange(year, month + 1)[1])  # 31 Jan + 1 month is 28 or 29 Feb
        date = datetime.date(year, month + 1, day)
        return (date + datetime.timedelta(days=round((months - whole) * DAYS_PER_MONTH))).isoformat()

    def in_force_date(self) -> str | None:
        if self.in_force_round is None:
            return None
        day = datetime.date.fromisoformat(self.date_of(self.in_force_round))
        return (day + datetime.timedelta(days=self.scenario.rules.entry_into_force_delay_days)).isoformat()

    # ------------------------------------------------------------------------------------------- end and record --
    def _check_end(self, movement: float) -> None:
        protocol = self.scenario.protocol
        if self.in_force_round is not None and (
                self.round >= self.in_force_round + protocol.rounds_after_entry_into_force
                or self.round >= self.max_rounds):
            members = int(self.signed.sum())
            broad = members >= self.scenario.rules.broad_agreement_share * int(self.ever_engaged.sum()) - 1e-9
            self._finish("agreement" if broad else "partial_agreement", "the treaty entered into force")
            return
        if self.in_force_round is not None:
            return  # in force: accession and ratification go on for a few more rounds
        if self.adopted_round is None:
            if self._too_few_at_table():
                self._finish("collapse", "too few states remain at the table")
                return
            deadline = protocol.deadline_round
            if deadline is not None and self.round >= deadline:
                self._finish("timeout", f"the negotiating mandate ended in round {deadline} without adoption")
                return
            # Still: the chair's search found no text the rule would adopt and nothing moved.
            if movement < protocol.stalemate_epsilon and not self.adoptable_found:
                self.still_rounds += 1
                if self.stalled_since is None:
                    self.stalled_since = self.round
            else:
                self.still_rounds = 0
                self.stalled_since = None
            # A stalemate ends the run only when no scheduled event or fallback vote could still shake it.
            if self.still_rounds >= protocol.stalemate_window and not self._pending_shake():
                self._finish("stalemate", f"no adoptable text found and nothing moved more than "
                                          f"{protocol.stalemate_epsilon} for {protocol.stalemate_window} rounds")
                return
        elif self.round >= self.window_closes and self.in_force_round is None:
            self._finish("signed_not_in_force", "the ratification window closed with too few ratifications")
            return
        if self.round >= self.max_rounds:
            if self.adopted_round is None:
                self._finish("timeout", "the talks reached the last round without adopting a text")
            else:
                self._finish("signed_not_in_force", "too few ratifications by the last round")

    def _pending_shake(self) -> bool:
        if self.pending_events:
            return True
        protocol = self.scenario.protocol
        if (protocol.deadline_round is not None and protocol.endgame_rounds > 0 and protocol.endgame_pressure > 0
                and self.round < protocol.deadline_round):
            return True  # deadline pressure is still to come
        rules = self.scenario.rules
        fallback = rules.fallback
        return (rules.decision == "consensus" and fallback is not None and self.round < fallback.round
                and fallback.round <= self.max_rounds)

    def _too_few_at_table(self) -> bool:
        engaged = np.count_nonzero(self.engaged)  # a quarter of what a boolean sum() costs, twice a round
        return engaged < 2 or engaged < self.scenario.protocol.collapse_share * np.count_nonzero(self.ever_engaged)

    def _finish(self, outcome: str, reason: str) -> None:
        self.outcome = outcome
        self.end_reason = reason
        self.running = False

    def _record(self, movement: float, applied: list[str]) -> None:
        log = self.log
        log.position.append(self.position.copy())
        log.utility.append(self.utility.copy())
        log.declaration.append(self.declaration.copy() if self.declaration is not None
                               else np.zeros(self.n, np.int8))
        log.cost.append(self.objection_cost_now.copy())
        log.mandate.append(self.mandate_now.copy())
        log.support.append(self.support.copy())
        log.would_sign.append(self.would_sign.copy())
        log.tiers.append(self.tiers.copy())
        log.engaged.append(self.engaged.copy())
        log.signed.append(self.signed.copy())
        log.ratified.append(self.ratified.copy())
        log.label.append(self.label.copy())
        log.draft.append(self.draft.copy())
        log.chair.append(self.chair)
        log.movement.append(movement)
        log.events.append(";".join(applied))
        log.adopted.append(self.adopted_round is not None)
        log.adoptable_found.append(self.adoptable_found)
        log.tier_alive.append(self.tier_alive.copy())
        log.in_force.append(self.in_force_round is not None)

    # ----------------------------------------------------------------------------------------------- queries --
    def coalition_of(self, row: int) -> str | None:
        label = int(self.label[row])
        return self.coalitions[label].name if label >= 0 else None

    def run(self) -> "NegotiationModel":
        while self.running and self.round < self.max_rounds:
            self.step()
        if self.running:  # max_rounds reached before any step could finish it (max_rounds == 0 is not allowed)
            self._check_end(movement=np.inf)
        return self
