"""Likelihood-free calibration of a scenario against what happened: ABC-SMC with pyabc (docs/calibration.md).

The priors are uniform on scenario fields named by the dotted paths of `--set` (or on `flexibility_scale`, which
multiplies every state's flexibility, capped at 1, as the dashboard's slider does); the targets come from an
observed-outcome file (sim.targets); the distance is pyabc's PNormDistance (p = 2) with fixed weights 1 / scale.

Reproducibility. pyabc's own samplers seed each worker from the operating system (MappingSampler calls
np.random.seed() in every task) or accept whichever particles finish first, so their posteriors depend on timing
and on the number of workers. SeededSampler instead maps one task per particle to be accepted: task i of generation
t seeds numpy's and Python's global generators (which pyabc's priors and transition kernels draw from) from
SeedSequence(seed, spawn_key=(KEY, t + 1, i)), simulates until it has one accepted particle, and gives each
simulation j of the model its own seed from spawn_key (KEY, t + 1, i, j). The tasks' results come back in task
order, so the population is the same for any map: the builtin map, a local process pool or Dask. Each generation
is run by a new ABCSMC loaded from the history database, exactly as a resumed run is, so a run stopped between or
within generations and resumed gives the posterior of an uninterrupted one.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import logging
import os
import random
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .loader import RawScenario, ScenarioError, parse_yaml, validate_raw, with_overrides
from .observed import Observed
from .runner import run_once
from .targets import Target, simulated_facts

__all__ = ["Parameter", "parse_param", "check_parameters", "choose_targets", "Simulator", "SeededSampler",
           "SerialMapper", "PoolMapper", "DaskMapper", "Calibration", "seed_of", "weighted_quantile",
           "FLEXIBILITY_SCALE"]

KEY = 0xCA1B  # spawn-key prefix of calibration seeds: never the (run,) keys of sweeps
PREDICTIVE_KEY = 0xCA1C
FLEXIBILITY_SCALE = "flexibility_scale"
_PATH = re.compile(r"^[^=\s]+$")


# ------------------------------------------------------------------------------------------------ parameters --
@dataclass(frozen=True)
class Parameter:
    """A uniform prior on [low, high] for one scenario field (or the flexibility scale)."""

    path: str
    low: float
    high: float
    integer: bool = False  # a whole-number field: the drawn value is rounded when applied
    name: str = ""  # pyabc's name for it (p0, p1, ...): dotted paths are not identifiers

    def describe(self) -> dict:
        return {"path": self.path, "low": self.low, "high": self.high, "integer": self.integer, "name": self.name}


def parse_param(text: str) -> tuple[str, float, float]:
    """`PATH=LO:HI` -> (path, low, high). Raises ScenarioError naming --param."""
    if "=" not in text:
        raise ScenarioError("--param", 0, text, "expected PATH=LO:HI, for example "
                                                "treaty.participation_benefit=0.1:0.6")
    path, _, rest = text.partition("=")
    path, rest = path.strip(), rest.strip()
    if not path or not _PATH.match(path):
        raise ScenarioError("--param", 0, text, "expected PATH=LO:HI with a dotted path before '='")
    parts = rest.split(":")
    if len(parts) != 2:
        raise ScenarioError("--param", 0, path, f"{rest!r}: expected LO:HI, for example 0.1:0.6")
    numbers = []
    for part in parts:
        value, _ = parse_yaml(part, f"--param {path}") if part.strip() else (None, None)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not np.isfinite(value):
            raise ScenarioError("--param", 0, path, f"{rest!r}: LO and HI must be numbers")
        numbers.append(float(value))
    low, high = numbers
    if not low < high:
        raise ScenarioError("--param", 0, path, f"{rest!r}: LO must be below HI")
    return path, low, high


def check_parameters(raw: RawScenario, given: Sequence[str]) -> list[Parameter]:
    """The --param options as priors, each checked against the scenario: the path exists, holds a number, and both
    ends of the range give a valid scenario. Raises ScenarioError naming --param and the field."""
    from .sweep.spec import _value_at  # the value a validated scenario holds at a dotted path, as sweeps read it

    parameters: list[Parameter] = []
    seen: set[str] = set()
    document = validate_raw(raw).model_dump(mode="python")
    for text in given:
        path, low, high = parse_param(text)
        if path in seen:
            raise ScenarioError("--param", 0, path, "given twice")
        seen.add(path)
        if path == FLEXIBILITY_SCALE:
            if low < 0:
                raise ScenarioError("--param", 0, path, f"{low} is negative: the scale multiplies flexibility")
            parameters.append(Parameter(path, low, high, name=f"p{len(parameters)}"))
            continue
        _, current = _value_at(document, path)
        if isinstance(current, (str, bool, list, dict)):
            raise ScenarioError("--param", 0, path, f"holds {type(current).__name__} values, not numbers: only a "
                                                    f"numeric field can have a uniform prior")
        integer = isinstance(current, int) and not isinstance(current, bool)
        for end in (low, high):
            value = int(round(end)) if integer else end
            probe = with_overrides(raw, {path: value})
            if len(probe.problems) > len(raw.problems):  # the path itself is wrong: no value would do
                raise ScenarioError("--param", 0, path, probe.problems[-1].message)
            try:
                validate_raw(probe)
            except ScenarioError as exc:
                field = "" if exc.field in ("", path) else f"{exc.field}: "
                shown = "" if exc.message.startswith(f"{value} ") else f"{value}: "  # the message may name it
                raise ScenarioError("--param", 0, path, f"{shown}{field}{exc.message}") from None
        parameters.append(Parameter(path, low, high, integer=integer, name=f"p{len(parameters)}"))
    if any(p.path == FLEXIBILITY_SCALE for p in parameters):
        clash = [p.path for p in parameters if p.path.startswith("states.") and p.path.endswith(".flexibility")]
        if clash:
            raise ScenarioError("--param", 0, FLEXIBILITY_SCALE, f"cannot be calibrated with {clash[0]}: the scale "
                                                                 f"sets every state's flexibility")
    if not parameters:
        raise ScenarioError("--param", 0, "", "give at least one --param PATH=LO:HI")
    return parameters


def choose_targets(defined: Sequence[Target], chosen: Sequence[str], source: str) -> list[Target]:
    """The targets named with --target (default: all that the observed file and the scenario define)."""
    from .loader import _suggest

    by_name = {t.name: t for t in defined}
    if not chosen:
        if not defined:
            raise ScenarioError(source, 0, "", "defines no calibration target (see docs/calibration.md)")
        return list(defined)
    out = []
    for name in chosen:
        if name not in by_name:
            raise ScenarioError("--target", 0, name, f"not a target of {source}{_suggest(name, by_name)} "
                                                     f"(targets: {', '.join(by_name) or 'none'})")
        if by_name[name] not in out:
            out.append(by_name[name])
    return out


# ------------------------------------------------------------------------------------------------- the model --
def seed_of(master: int, key: tuple) -> int:
    """A 63-bit seed from SeedSequence(master, spawn_key=key), as sweeps derive run seeds."""
    words = np.random.SeedSequence(master, spawn_key=tuple(int(k) for k in key)).generate_state(2, dtype=np.uint32)
    return int((int(words[0]) << 31) ^ int(words[1])) & ((1 << 63) - 1)


# The seed stream of the task running in this process: set by simulate_until_accepted, read by Simulator.__call__.
_STREAM: dict = {"master": 0, "key": (), "count": 0}
_LOCK = threading.Lock()  # one task at a time per process: numpy's global generator is shared by threads


class Simulator:
    """pyabc's model: a parameter set -> the simulated facts of one run. Sent to every worker."""

    def __init__(self, base: RawScenario, parameters: Sequence[Parameter], targets: Sequence[Target],
                 max_rounds: int | None = None):
        self.base = base
        self.parameters = tuple(parameters)
        self.targets = tuple(targets)
        self.max_rounds = max_rounds
        scenario = validate_raw(base)
        self.flexibility = tuple(float(s.flexibility) for s in scenario.states)

    def overrides(self, values: Mapping[str, float]) -> dict:
        out: dict = {}
        for p in self.parameters:
            value = float(values[p.path])
            if p.path == FLEXIBILITY_SCALE:
                for index, flexibility in enumerate(self.flexibility):
                    out[f"states.{index}.flexibility"] = min(1.0, flexibility * value)
            else:
                out[p.path] = int(round(value)) if p.integer else value
        return out

    def scenario(self, values: Mapping[str, float]):
        return validate_raw(with_overrides(self.base, self.overrides(values)))

    def run(self, values: Mapping[str, float], seed: int) -> dict[str, float]:
        result = run_once(self.scenario(values), seed, self.max_rounds)
        return simulated_facts(result.summary, result.rounds, self.targets)

    def __call__(self, pars) -> dict[str, float]:
        values = {p.path: float(pars[p.name]) for p in self.parameters}
        key = _STREAM["key"] + (_STREAM["count"],)
        _STREAM["count"] += 1
        seed = seed_of(_STREAM["master"], key)
        try:
            return self.run(values, seed)
        except Exception as exc:
            raise SimulationError(f"the run with {values} and seed {seed} raised {type(exc).__name__}: {exc}") \
                from exc


class SimulationError(RuntimeError):
    """A simulation raised: the calibration cannot go on (the folder can be resumed once the cause is fixed)."""


_UNPICKLED: dict = {"digest": None, "value": None}


def _unpickle(payload: bytes):
    import cloudpickle

    digest = hashlib.sha1(payload).digest()
    if _UNPICKLED["digest"] != digest:  # a generation's tasks share one payload: unpickle it once per process
        _UNPICKLED.update(digest=digest, value=cloudpickle.loads(payload))
    return _UNPICKLED["value"]


def simulate_until_accepted(payload: bytes, key: tuple):
    """One task: simulate until one particle is accepted, from the task's own seed. Returns (sample, simulations)."""
    with _LOCK:
        simulate_one, sample_factory = _unpickle(payload)
        master, generation, index = key
        state = np.random.SeedSequence(master, spawn_key=(KEY, generation, index)).generate_state(4)
        np.random.seed(state)
        random.seed(int(state[0]))
        _STREAM.update(master=master, key=(KEY, generation, index), count=0)
        sample = sample_factory()
        count = 0
        while True:
            particle = simulate_one()
            count += 1
            sample.append(particle)
            if particle.accepted:
                return sample, count


def predict(payload: bytes, item: tuple) -> dict[str, float]:
    """One posterior predictive run: (parameter values, seed) -> simulated facts."""
    with _LOCK:
        simulator = _unpickle(payload)
        values, seed = item
        return simulator.run(values, seed)


# ---------------------------------------------------------------------------------------------------- mappers --
class SerialMapper:
    """Every task in this process, in order."""

    workers = 1

    def map(self, function: Callable, payload: bytes, items: Sequence) -> list:
        return [function(payload, item) for item in items]

    def describe(self) -> str:
        return "this process"

    def close(self) -> None:
        pass


class PoolMapper:
    """A pool of local processes (forkserver, as sweeps use); results in task order."""

    def __init__(self, workers: int):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        from .sweep.executors import _init_worker

        self.workers = int(workers)
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["sim.calibrate"])
        self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context, initializer=_init_worker,
                                        initargs=(None, os.getpid()))

    def map(self, function, payload, items):
        chunk = max(1, len(items) // (self.workers * 16))  # small chunks: Ctrl-C waits only for the running ones
        return list(self.pool.map(functools.partial(function, payload), items, chunksize=chunk))

    def describe(self) -> str:
        return f"a local pool of {self.workers} process{'es' if self.workers != 1 else ''}"

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class DaskMapper:
    """Dask distributed, through the sweep's executor (an existing scheduler, or a LocalCluster made for this run).
    The payload is scattered once per generation; results are gathered in task order."""

    def __init__(self, scheduler: str | None = None, workers: int | None = None):
        from .sweep.executors import DaskExecutor

        self.executor = DaskExecutor(scheduler=scheduler, workers=workers)
        self.client = self.executor.client
        self.workers = self.executor.workers

    def map(self, function, payload, items):
        shared = self.client.scatter(payload, broadcast=True)
        futures = self.client.map(function, [shared] * len(items), list(items), pure=False)
        try:
            return self.client.gather(futures)
        finally:
            self.client.cancel(futures)

    def describe(self) -> str:
        return self.executor.describe()

    def close(self) -> None:
        self.executor.close()


def make_mapper(kind: str, workers: int | None, scheduler: str | None):
    from .sweep.executors import available_cores

    if scheduler or kind == "dask":
        return DaskMapper(scheduler, workers)
    if kind == "serial":
        return SerialMapper()
    count = int(workers or available_cores())
    return SerialMapper() if count == 1 else PoolMapper(count)


# ---------------------------------------------------------------------------------------------------- sampler --
def _sampler_class():
    from pyabc.sampler import MappingSampler

    class SeededSampler(MappingSampler):
        """MappingSampler whose tasks are seeded from the master seed, the generation and the task's index."""

        def __init__(self, mapper, master_seed: int):
            super().__init__(map_=None)
            self.mapper = mapper
            self.master_seed = int(master_seed)

        def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False,
                                    ana_vars=None):
            import cloudpickle

            payload = cloudpickle.dumps((simulate_one, self.sample_factory))
            keys = [(self.master_seed, t + 1, i) for i in range(n)]
            results = self.mapper.map(simulate_until_accepted, payload, keys)
            self.nr_evaluations_ = sum(count for _, count in results)
            sample = self._create_empty_sample()
            for part, _ in results:
                sample += part
            return sample

    return SeededSampler


def SeededSampler(mapper, master_seed: int):  # noqa: N802 - a class made on first use (pyabc is imported late)
    return _sampler_class()(mapper, master_seed)


def _epsilon_class():
    from pyabc.epsilon import QuantileEpsilon

    class ResumableQuantileEpsilon(QuantileEpsilon):
        """The median of the previous population's weighted distances (or, when that is the largest of them, the
        largest distance below it), computed alike whether that population was sampled by this process or read
        back from the history database (pyabc's QuantileEpsilon with a fixed initial value would start a loaded run
        at that value again). Generation 0 accepts every prior draw."""

        def __init__(self):
            super().__init__(initial_epsilon=np.inf, alpha=0.5, weighted=True)

        def initialize(self, t, get_weighted_distances, get_all_records, max_nr_populations, acceptor_config):
            if t > 0:
                self._update(t, get_weighted_distances())

        def _update(self, t, weighted_distances):
            # Discrete targets (yes/no, counts, the no-adoption penalty) make many runs tie at one distance: when
            # the median is the largest distance, it would not fall. Then the largest distance below it is taken.
            super()._update(t, weighted_distances)
            distances = weighted_distances.distance.to_numpy(float)
            top = float(distances.max())
            if self._look_up[t] >= top:
                below = distances[distances < top]
                if below.size:
                    self._look_up[t] = float(below.max())

    return ResumableQuantileEpsilon()


# ------------------------------------------------------------------------------------------------ calibration --
def weighted_quantile(values: np.ndarray, weights: np.ndarray, q) -> np.ndarray:
    """Quantiles of a weighted sample (numpy's inverted-CDF estimator with weights)."""
    return np.quantile(np.asarray(values, float), q, weights=np.asarray(weights, float), method="inverted_cdf")


@dataclass
class Settings:
    seed: int = 0
    population_size: int = 200
    populations: int = 8
    min_epsilon: float = 0.0
    max_simulations: int | None = None
    max_rounds: int | None = None
    predictive: int = 100


class Calibration:
    """An ABC-SMC calibration whose history lives in one SQLite database: run generation by generation."""

    def __init__(self, db: Path, simulator: Simulator, observed_facts: Mapping[str, float], settings: Settings,
                 mapper):
        self.db = Path(db)
        self.simulator = simulator
        self.observed_facts = dict(observed_facts)
        self.settings = settings
        self.mapper = mapper

    @property
    def url(self) -> str:
        return f"sqlite:///{self.db.resolve()}"

    def _abc(self):
        import pyabc

        logging.getLogger("ABC").setLevel(logging.WARNING)  # pyabc's own progress lines: the command prints its own
        prior = pyabc.Distribution(**{p.name: pyabc.RV("uniform", p.low, p.high - p.low)
                                      for p in self.simulator.parameters})
        distance = pyabc.PNormDistance(p=2, fixed_weights={t.name: 1.0 / t.scale for t in self.simulator.targets})
        return pyabc.ABCSMC(self.simulator, prior, distance, population_size=self.settings.population_size,
                            sampler=SeededSampler(self.mapper, self.settings.seed), eps=_epsilon_class())

    def populations_done(self) -> int:
        if not self.db.exists():
            return 0
        return self.history().max_t + 1

    def history(self):
        import pyabc

        history = pyabc.History(self.url, _id=1)
        return history

    def finished(self) -> tuple[bool, str]:
        """Whether a stopping rule is met, and which."""
        done = self.populations_done()
        if done == 0:
            return False, ""
        table = self.history().get_all_populations()
        table = table[table.t >= 0]
        last = table.iloc[-1]
        if done >= self.settings.populations:
            return True, f"{done} populations"
        if float(last.epsilon) <= self.settings.min_epsilon:
            return True, f"epsilon {float(last.epsilon):.4g} <= --min-epsilon {self.settings.min_epsilon}"
        if self.settings.max_simulations is not None and int(table.samples.sum()) >= self.settings.max_simulations:
            return True, f"{int(table.samples.sum())} simulations >= --max-simulations {self.settings.max_simulations}"
        return False, ""

    def step(self) -> None:
        """Run one generation: a fresh ABCSMC, new or loaded from the database, so that every generation starts from
        what the database holds and nothing else."""
        abc = self._abc()
        if self.populations_done() == 0:
            if self.db.exists():  # a database without a population: a run stopped in its first generation
                self.db.unlink()
            abc.new(self.url, self.observed_facts)
        else:
            abc.load(self.url, 1)
        abc.run(max_nr_populations=1)

    def diagnostics(self) -> pd.DataFrame:
        history = self.history()
        table = history.get_all_populations()
        table = table[table.t >= 0].reset_index(drop=True)
        rows = []
        for row in table.itertuples():
            _, weights = history.get_distribution(m=0, t=int(row.t))
            w = np.asarray(weights, float)
            rows.append({
                "population": int(row.t),
                "epsilon": float(row.epsilon),
                "accepted": int(row.particles),
                "simulations": int(row.samples),
                "acceptance_rate": float(row.particles) / float(row.samples) if row.samples else float("nan"),
                "effective_sample_size": float(w.sum() ** 2 / (w ** 2).sum()),
                "end_time": str(row.population_end_time),
            })
        return pd.DataFrame(rows)

    def posterior(self) -> pd.DataFrame:
        """The last population: one row per particle with its weight, distance, parameter values and facts."""
        population = self.history().get_population()
        rows = []
        for index, particle in enumerate(population.particles):
            row = {"particle": index, "weight": float(particle.weight), "distance": float(particle.distance)}
            for p in self.simulator.parameters:
                row[p.path] = float(particle.parameter[p.name])
            for t in self.simulator.targets:
                row[f"sim:{t.name}"] = float(particle.sum_stat[t.name])
            rows.append(row)
        frame = pd.DataFrame(rows)
        frame["weight"] = frame["weight"] / frame["weight"].sum()
        return frame

    def predictive(self, posterior: pd.DataFrame, runs: int) -> pd.DataFrame:
        """Fresh runs at parameter sets drawn from the posterior by weight, each with its own derived seed."""
        import cloudpickle

        generator = np.random.default_rng(np.random.SeedSequence(self.settings.seed, spawn_key=(PREDICTIVE_KEY,)))
        picks = generator.choice(len(posterior), size=runs, replace=True, p=posterior["weight"].to_numpy())
        paths = [p.path for p in self.simulator.parameters]
        items = []
        for index, pick in enumerate(picks):
            values = {path: float(posterior[path].iloc[pick]) for path in paths}
            items.append((values, seed_of(self.settings.seed, (PREDICTIVE_KEY, index))))
        facts = self.mapper.map(predict, cloudpickle.dumps(self.simulator), items)
        rows = []
        for index, ((values, seed), fact) in enumerate(zip(items, facts)):
            rows.append({"run": index, "particle": int(picks[index]), "seed": seed, **values, **fact})
        return pd.DataFrame(rows)


def estimates(posterior: pd.DataFrame, parameters: Sequence[Parameter]) -> pd.DataFrame:
    weights = posterior["weight"].to_numpy()
    rows = []
    for p in parameters:
        values = posterior[p.path].to_numpy()
        q05, median, q95 = weighted_quantile(values, weights, [0.05, 0.5, 0.95])
        rows.append({"path": p.path, "prior_low": p.low, "prior_high": p.high,
                     "mean": float(np.average(values, weights=weights)), "median": float(median),
                     "q05": float(q05), "q95": float(q95)})
    return pd.DataFrame(rows)


def utc_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def observed_document(observed: Observed) -> dict:
    return observed.model_dump(mode="json")
