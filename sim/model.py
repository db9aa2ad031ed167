"""The negotiation model: state agents under Mesa, one round per step, six phases per round.

State lives in numpy arrays (one row per state); the maths lives in sim.maths; this module wires the phases together,
applies scheduled events and records what happens. See docs/ODD.md for the full description.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mesa
import numpy as np

from . import maths
from .agents import StateAgent
from .schema import Scenario

OUTCOMES = ("agreement", "partial_agreement", "signed_not_in_force", "stalemate", "collapse", "timeout")
SECRETARIAT = "secretariat"
DRAFT_SWITCH_MARGIN = 0.05  # share of engaged capability a new kind of draft must gain to replace the last one


@dataclass
class Coalition:
    name: str
    leader: int
    cohesion: float
    alive: bool = True
    formed: int = 0  # round at which it formed (0 = at the start)


@dataclass
class Log:
    """What the model records over time (one entry per round, round 0 being the start)."""

    position: list = field(default_factory=list)
    utility: list = field(default_factory=list)
    support: list = field(default_factory=list)
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
        self._record(movement=0.0, events=[])

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
        self.capability = np.array([s.capability for s in sc.states], dtype=float)
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
        self.opening = self.ideal.copy()
        for i, s in enumerate(sc.states):
            for d, v in (s.opening or {}).items():
                self.opening[i, dims.index(d)] = v
        self.position = self.opening.copy()
        self.engaged = np.array([s.at_table for s in sc.states], dtype=bool)
        self.ever_engaged = self.engaged.copy()
        self.support = np.zeros(self.n, bool)  # nothing has been declared before the first round
        self.signed = np.zeros(self.n, bool)
        self.ratified = np.zeros(self.n, bool)
        self.objections = np.zeros(self.n, dtype=np.int64)  # rounds in which a failed vote found the state objecting
        self.holdouts = np.zeros(self.n, dtype=np.int64)  # ...and objecting even to the draft as if adopted
        self.objection_streak = np.zeros(self.n, dtype=np.int64)
        self.utility = np.zeros(self.n)

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
        self._rebuild_trust()

    def _rebuild_trust(self) -> None:
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

    def _partners(self) -> maths.Partners:
        if self._partners_stale:  # rebuilt only when trust or the states at the table change
            self._partner_weights = maths.Partners(maths.partner_weights(self.trust, self.capability, self.engaged))
            self._partners_stale = False
        return self._partner_weights

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
        self.chair = SECRETARIAT
        self._last_pick: dict[str, object] = {}  # which candidate each drafting step chose last (see _most_backed)
        self.adopted_round: int | None = None
        self.in_force_round: int | None = None
        self.outcome: str | None = None
        self.end_reason = ""
        self.still_rounds = 0
        self.stalled_since: int | None = None

    def _init_events(self) -> None:
        # Explicit tie-breaker: events of the same round happen in the order the scenario lists them.
        # Events after the last round can never happen, so they must not hold off a stalemate either.
        self.pending_events = sorted(((i, e) for i, e in enumerate(self.scenario.events) if e.round <= self.max_rounds),
                                     key=lambda item: (item[1].round, item[0]))

    # ------------------------------------------------------------------------------------------------ the round --
    def step(self) -> None:
        """One round of negotiation."""
        self.round += 1
        events = self._apply_events()
        before = self.position.copy()
        if self.adopted_round is None and self._too_few_at_table():
            self._record(0.0, events)  # walk-outs at the start of the round leave nobody to vote
            self._finish("collapse", "too few states remain at the table")
            return
        if self.adopted_round is None:
            self.propose()
        self.respond()
        self.concede()
        self.update_coalitions()
        if self.adopted_round is None:
            self.decide()
        else:
            self.ratify()
        movement = float(np.abs(self.position - before)[self.engaged].max(initial=0.0))
        self._record(movement, events)
        self._check_end(movement)

    # ----------------------------------------------------------------------------------------------- 1. propose --
    def propose(self) -> None:
        """The chair drafts the core and each tier from the states still engaged."""
        protocol = self.scenario.protocol
        compromise = self._compromise()
        if self.round == 1 and self.scenario.treaty.core.opening:
            for d, v in self.scenario.treaty.core.opening.items():
                compromise[self.dimensions.index(d)] = v
        chair_mode = protocol.chair
        if chair_mode == "compromise" or (self.round == 1 and self.scenario.treaty.core.opening):
            chair, draft = SECRETARIAT, compromise
        elif chair_mode == "rotation":
            leaders = self._engaged_leaders()
            if leaders:
                chair = leaders[(self.round - 1) % len(leaders)]
                draft = self._chaired_draft(compromise, chair)
            else:
                chair, draft = SECRETARIAT, compromise
        elif chair_mode == "best_supported":
            chair, draft = self._best_supported(compromise)
        else:
            chair = self.index[chair_mode]
            draft = self._chaired_draft(compromise, chair) if self.engaged[chair] else compromise
            chair = chair if self.engaged[chair] else SECRETARIAT
        self.chair = self.ids[chair] if isinstance(chair, (int, np.integer)) else chair
        self.draft = maths.bound_text(draft, self.core_floor, self.core_ceiling)
        self.tier_text = maths.tier_texts(self.draft, self.tier_floor, self.tier_ceiling)

    def _compromise(self) -> np.ndarray:
        """The weighted compromise the drafter starts from.

        Under consensus: the compromise of every engaged state. Under a majority or plurilateral rule the drafter
        aims at a coalition that can carry the vote; it considers the compromise of all engaged states, of each
        coalition's engaged members, and of the closest states that together suffice under the rule (re-centred
        three times), and keeps the best backed (see `_most_backed`).
        """
        rules = self.scenario.rules
        everyone = maths.compromise(self.position, self.salience, self.capability, self.engaged)
        if rules.decision == "consensus":
            return everyone
        candidates = [("everyone", everyone)]
        for label, coalition in enumerate(self.coalitions):
            members = (self.label == label) & self.engaged
            if coalition.alive and members.any():
                candidates.append((f"coalition {coalition.name}",
                                   maths.compromise(self.position, self.salience, self.capability, members)))
        # Broader coalitions first: aim at a winning coalition of the rule's size and at one halfway to unanimity.
        for threshold in sorted({(1.0 + rules.threshold) / 2, rules.threshold}, reverse=True):
            text = everyone
            for _ in range(3):
                loss = maths.weighted_distance(self.position, text, self.salience)
                backers = maths.winning_set(loss, rules.decision, self.engaged, self.capability, threshold,
                                            rules.min_states)
                text = maths.compromise(self.position, self.salience, self.capability, backers)
            candidates.append((f"winning {threshold:.6f}", text))
        return self._most_backed(candidates, "compromise")[1]

    def _most_backed(self, candidates: list[tuple[object, np.ndarray]], step: str) -> tuple[object, np.ndarray]:
        """The candidate (key, text) whose self-enforcing membership would adopt it, else the one backed by the most
        capability; earlier candidates win ties.

        Drafting has inertia: the kind of draft tabled last round stays unless another would pass where it would
        not, or is backed by at least DRAFT_SWITCH_MARGIN more of the engaged states' capability. Without it a chair
        can alternate between two texts whose backing each grows while the other is on the table, and the talks
        never settle.
        """
        rules = self.scenario.rules
        benefit = self.scenario.treaty.participation_benefit
        margin = DRAFT_SWITCH_MARGIN * float(self.capability[self.engaged].sum())
        scored = []
        for key, text in candidates:
            bounded = maths.bound_text(text, self.core_floor, self.core_ceiling)
            loss = maths.weighted_distance(self.position, bounded, self.salience)
            members, _ = maths.stable_membership(loss, self.capability, self.engaged, self.reservation, benefit)
            passes = maths.is_adopted(rules.decision, members, self.engaged, self.capability, rules.threshold,
                                      rules.min_states)
            scored.append((passes, float(self.capability[members].sum()), key, text))
        best = scored[0]
        for entry in scored[1:]:
            if (entry[0], entry[1]) > (best[0], best[1] + 1e-12):
                best = entry
        previous = next((entry for entry in scored if entry[2] == self._last_pick.get(step)), None)
        if previous is not None and previous is not best:
            if previous[0] == best[0] and best[1] < previous[1] + margin:
                best = previous
        self._last_pick[step] = best[2]
        return best[2], best[3]

    def _chaired_draft(self, compromise: np.ndarray, chair: int) -> np.ndarray:
        pull = self.scenario.protocol.chair_influence
        return (1.0 - pull) * compromise + pull * self.position[chair]

    def _engaged_leaders(self) -> list[int]:
        return [c.leader for c in self.coalitions if c.alive and self.engaged[c.leader]]

    def _best_supported(self, compromise: np.ndarray) -> tuple[object, np.ndarray]:
        candidates = [(SECRETARIAT, compromise)] + [
            (leader, self._chaired_draft(compromise, leader)) for leader in self._engaged_leaders()]
        return self._most_backed(candidates, "chair")

    # ----------------------------------------------------------------------------------------------- 2. respond --
    def respond(self) -> None:
        """Each state declares support for the core and opts in or out of each tier.

        Declarations anticipate the largest self-enforcing membership, so they do not depend on the order in which
        states speak; activation order matters in the concede phase, where each state reads positions as they stand.
        """
        benefit = self.scenario.treaty.participation_benefit
        loss_core = maths.weighted_distance(self.position, self.draft, self.salience)
        # Tiers are optional: a state weighs them against its own priorities (ideal point), not against the
        # position it conceded to reach the core, and against its capability to implement them.
        ideal_core = maths.weighted_distance(self.ideal, self.draft, self.salience)
        ideal_tiers = maths.distance_matrix(self.ideal, self.tier_text, self.salience)
        costs = maths.implementation_costs(self.draft, self.tier_text, self.capability,
                                           self.scenario.treaty.implementation_cost,
                                           float(self.capability[self.engaged].max(initial=0.0)) or None)
        tier_gain = ideal_core[:, None] - ideal_tiers - costs
        adopted = self.adopted_round is not None
        locked_support = self.signed if adopted else None
        locked_tiers = self.tiers & self.signed[:, None] if adopted else None
        open_tiers = self.tier_alive if adopted else None
        depth = maths.tier_depths(self.draft, self.tier_text)
        support, tiers, utility = maths.respond(loss_core, tier_gain, self.capability, self.engaged,
                                                self.reservation, benefit, depth, locked_support, open_tiers,
                                                locked_tiers)
        self.support, self.tiers, self.utility = support, tiers, utility
        if adopted:  # accession: a supporting state signs the text as it stands
            self.signed |= support & self.engaged

    # ----------------------------------------------------------------------------------------------- 3. concede --
    def concede(self) -> None:
        """States move toward the draft and their trusted partners, within their red lines."""
        protocol = self.scenario.protocol
        partners = self._partners()
        sigma = protocol.concession_noise
        # Drawn for every state in row order whatever the activation, so both regimes use the generator alike.
        noise = np.exp(sigma * self.rng.standard_normal(self.n) - 0.5 * sigma * sigma)
        # Signatories of an adopted text hold their positions; the rest keep negotiating toward it.
        movers = self.engaged & ~self.signed
        rule = maths.Concession(self.ideal, self.draft, maths.concession_weights(self.salience), self.flexibility,
                                partners, movers, protocol.concession_rate, protocol.domestic_anchor, noise,
                                self.low, self.high)
        if protocol.activation == "simultaneous":
            self.position = rule.simultaneous(self.position)
        else:
            self.agents.shuffle_do("concede", rule, self.position)

    # ------------------------------------------------------------------------------------------- 4. coalitions --
    def update_coalitions(self) -> None:
        """Members that drifted too far defect; coalitions whose centres came close merge."""
        protocol = self.scenario.protocol
        if not self.coalitions:
            return
        centres, alive = self._centres()
        leaders = np.zeros(self.n, bool)
        leaders[[c.leader for c in self.coalitions if c.alive]] = True
        leaving = maths.defectors(self.position, self.salience, self.label, centres, self.engaged, leaders,
                                  protocol.defection_distance)
        changed = bool(leaving.any())
        self.label[leaving] = -1
        if changed:
            centres, alive = self._centres()
        for a, b in maths.merge_pairs(centres, alive, protocol.merge_distance):
            first, second = self.coalitions[a], self.coalitions[b]
            leader = max((first.leader, second.leader), key=lambda i: (self.capability[i], -i))
            merged = Coalition(f"{first.name}+{second.name}", leader, min(first.cohesion, second.cohesion),
                               formed=self.round)
            first.alive = second.alive = False
            self.label[(self.label == a) | (self.label == b)] = len(self.coalitions)
            self.coalitions.append(merged)
            changed = True
        if changed:
            self._rebuild_trust()

    def _centres(self) -> tuple[np.ndarray, np.ndarray]:
        centres, alive = maths.coalition_centres(self.position, self.capability, self.label, len(self.coalitions),
                                                 self.engaged)
        alive &= np.array([c.alive for c in self.coalitions])
        return centres, alive

    # ------------------------------------------------------------------------------------------------ 5. decide --
    def decide(self) -> None:
        """The decision rule adopts the core (and the tiers that reach their entry threshold) or not."""
        rules = self.scenario.rules
        if maths.is_adopted(rules.decision, self.support, self.engaged, self.capability, rules.threshold,
                            rules.min_states):
            self.adopted_round = self.round
            self.signed = self.support & self.engaged
            self.tier_alive = (self.tiers & self.signed[:, None]).sum(axis=0) >= self.tier_threshold
            self.tiers &= self.signed[:, None] & self.tier_alive[None, :]
            self.still_rounds = 0
            return
        objecting = self.engaged & ~self.support
        self.objections += objecting
        # The draft judged as if adopted by as many as the rule needs: a holdout would object even then (the others
        # object only because too few would join); a deeply dissatisfied state would be worse off than with no
        # treaty by more than the walk-out margin.
        benefit = self.scenario.treaty.participation_benefit
        prospect = benefit * maths.prospective_share(rules.decision, rules.threshold) - maths.weighted_distance(
            self.position, self.draft, self.salience)
        self.holdouts += objecting & (prospect <= self.reservation)
        deeply = prospect < self.reservation - self.scenario.protocol.walkout_margin
        self.objection_streak = np.where(objecting & deeply, self.objection_streak + 1, 0)
        patience = self.scenario.protocol.walkout_patience
        if patience:
            leaving = self.objection_streak >= patience
            if leaving.any():
                self.engaged &= ~leaving
                self._partners_stale = True

    # ------------------------------------------------------------------------------------------------ 6. ratify --
    def ratify(self) -> None:
        """Signatories ratify with a chance falling with domestic difficulty and the text's distance from their ideal."""
        rules = self.scenario.rules
        distance = maths.weighted_distance(self.ideal, self.draft, self.salience)
        chance = maths.ratification_probability(distance, self.difficulty, rules.ratification_rate,
                                                rules.ratification_tolerance)
        draws = self.rng.random(self.n)  # one draw per state in row order, used or not, for stable streams
        self.ratified |= self.signed & (draws < chance)
        if self.in_force_round is None and self.ratified.sum() >= self.scenario.ratifications_needed():
            self.in_force_round = self.round

    # ------------------------------------------------------------------------------------------------ events --
    def _apply_events(self) -> list[str]:
        applied = []
        while self.pending_events and self.pending_events[0][1].round <= self.round:
            _, event = self.pending_events.pop(0)
            getattr(self, f"_on_{event.type}")(event)
            applied.append(event.type)
        return applied

    def _rows(self, ids) -> np.ndarray:
        return np.array([self.index[s] for s in ids], dtype=np.int64)

    def _on_cyber_incident(self, event) -> None:
        """Victims care more about attribution and demand more of it; they trust the accused less."""
        victims, d = self._rows(event.victims), self.dimensions.index(event.dimension)
        # severity is on the normalised scale: it adds that share of each victim's total weight
        self.raw_salience[victims, d] += event.severity * self.raw_salience[victims].sum(axis=1)
        self.salience[victims] = maths.normalise_salience(self.raw_salience[victims])
        self.ideal[victims, d] = np.minimum(1.0, self.ideal[victims, d] + event.shift)
        self.position[victims, d] = np.clip(self.position[victims, d] + event.shift, self.low[victims, d],
                                            self.high[victims, d])
        if event.accused:
            accused = self._rows(event.accused)
            self.grievance[np.ix_(victims, accused)] += event.severity
            self._rebuild_trust()

    def _on_government_change(self, event) -> None:
        """A new government brings a new ideal point (and possibly salience, flexibility, reservation)."""
        i = self.index[event.state]
        for d, v in event.ideal.items():
            self.ideal[i, self.dimensions.index(d)] = v
        if event.salience is not None:  # same scale as the state's salience in the scenario (checked non-zero)
            for d, v in event.salience.items():
                self.raw_salience[i, self.dimensions.index(d)] = v
            self.salience[i] = self.raw_salience[i] / self.raw_salience[i].sum()
        if event.flexibility is not None:
            self.flexibility[i] = event.flexibility
        if event.reservation is not None:
            self.reservation[i] = event.reservation
        if event.reset_position:
            self.position[i] = np.clip(self.ideal[i], self.low[i], self.high[i])

    def _on_walkout(self, event) -> None:
        """The state leaves the talks; after adoption, leaving withdraws its signature and ratification."""
        i = self.index[event.state]
        self.engaged[i] = False
        if self.adopted_round is not None:
            self.signed[i] = self.ratified[i] = False
            self.tiers[i] = False
        self._partners_stale = True

    def _on_join(self, event) -> None:
        i = self.index[event.state]
        self.engaged[i] = self.ever_engaged[i] = True
        self.position[i] = self.opening[i]
        self._partners_stale = True

    def _on_outside_pressure(self, event) -> None:
        rows = self._rows(event.states) if event.states else np.arange(self.n)
        self.flexibility[rows] = np.minimum(1.0, self.flexibility[rows] + event.flexibility_boost)

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
            if movement < protocol.stalemate_epsilon:
                self.still_rounds += 1
                if self.stalled_since is None:
                    self.stalled_since = self.round
            else:
                self.still_rounds = 0
                self.stalled_since = None
            # A stalemate ends the run only when no scheduled event could still shake it.
            if self.still_rounds >= protocol.stalemate_window and not self.pending_events:
                self._finish("stalemate", f"no position moved more than {protocol.stalemate_epsilon} for "
                                          f"{protocol.stalemate_window} rounds")
                return
        if self.round >= self.max_rounds:
            if self.adopted_round is None:
                self._finish("timeout", "the talks reached the last round without adopting a text")
            else:
                self._finish("signed_not_in_force", "too few ratifications by the last round")

    def _too_few_at_table(self) -> bool:
        engaged = int(self.engaged.sum())
        return engaged < 2 or engaged < self.scenario.protocol.collapse_share * int(self.ever_engaged.sum())

    def _finish(self, outcome: str, reason: str) -> None:
        self.outcome = outcome
        self.end_reason = reason
        self.running = False

    def _record(self, movement: float, events: list[str]) -> None:
        log = self.log
        log.position.append(self.position.copy())
        log.utility.append(self.utility.copy())
        log.support.append(self.support.copy())
        log.tiers.append(self.tiers.copy())
        log.engaged.append(self.engaged.copy())
        log.signed.append(self.signed.copy())
        log.ratified.append(self.ratified.copy())
        log.label.append(self.label.copy())
        log.draft.append(self.draft.copy())
        log.chair.append(self.chair)
        log.movement.append(movement)
        log.events.append(";".join(events))
        log.adopted.append(self.adopted_round is not None)
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
