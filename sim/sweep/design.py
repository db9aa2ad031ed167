"""Design points and run seeds.

A design is a table with one row per point: the point's index and the value of every varied parameter. Grids are
every combination of the parameters' values (the first parameter varies slowest); Latin hypercube, Sobol and Morris
designs come from SALib's samplers. The samplers work on numbers, so a parameter with a list of values is sampled
on [0, n) and the value taken at the whole part (each value equally likely), and a whole-number range on
[low, high + 1) likewise; the sampler's raw numbers are kept (columns `x:PATH`) because Morris analysis needs them.

Each run is (point, replicate); its index is point * replicates + replicate. Its seed is the run index's child of the
master seed, `SeedSequence(master).spawn(n)[run]`, computed directly from the spawn key so that a run's seed does not
depend on how many runs there are, which were done before, or which worker asks.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from .spec import Parameter, SweepPlan

__all__ = ["build_design", "run_seed", "run_seeds", "salib_problem", "design_seed", "unit_column", "duplicate_points"]

# Run seeds use spawn keys (run,); the design sampler uses a key of another length, so the two never share a stream.
_DESIGN_KEY = (0x5EED, 0xDE5)


def unit_column(path: str) -> str:
    return f"x:{path}"


def run_seed(master: int, run: int) -> int:
    """The seed of run `run`: the same as SeedSequence(master).spawn(run + 1)[run], drawn as a 63-bit integer."""
    words = np.random.SeedSequence(master, spawn_key=(int(run),)).generate_state(2, dtype=np.uint32)
    return int((int(words[0]) << 31) ^ int(words[1])) & ((1 << 63) - 1)


def run_seeds(master: int, runs) -> list[int]:
    return [run_seed(master, r) for r in runs]


def design_seed(master: int) -> int:
    return int(np.random.SeedSequence(master, spawn_key=_DESIGN_KEY).generate_state(1, dtype=np.uint32)[0])


def salib_problem(parameters: list[Parameter]) -> dict:
    bounds = []
    for p in parameters:
        if p.kind == "values":
            bounds.append([0.0, float(len(p.values))])
        elif p.integer:
            bounds.append([float(p.low), float(p.high) + 1.0])
        else:
            bounds.append([float(p.low), float(p.high)])
    return {"num_vars": len(parameters), "names": [p.path for p in parameters], "bounds": bounds}


def _from_unit(p: Parameter, x: float):
    """A sampler's number as the parameter's value."""
    if p.kind == "values":
        return p.values[min(int(math.floor(x)), len(p.values) - 1)]
    if p.integer:
        return min(int(math.floor(x)), int(p.high))
    return float(x)


def build_design(plan: SweepPlan) -> pd.DataFrame:
    """One row per design point: `point`, each parameter's value (as stored) and, for samplers, `x:PATH`."""
    params = plan.parameters
    design = plan.spec.design
    if design.kind == "grid":
        axes = [p.grid_values(design.steps) for p in params]
        combos = list(itertools.product(*axes)) if params else [()]
        table = pd.DataFrame({"point": np.arange(len(combos), dtype=np.int64)})
        for j, p in enumerate(params):
            table[p.path] = _column(p, [combo[j] for combo in combos])
        return table

    problem = salib_problem(params)
    seed = design_seed(plan.spec.seed)
    if design.kind == "lhs":
        from SALib.sample import latin

        x = latin.sample(problem, design.samples, seed=seed)
    elif design.kind == "sobol":
        from SALib.sample import sobol

        x = sobol.sample(problem, design.samples, calc_second_order=design.second_order, scramble=True, seed=seed)
    elif design.kind == "morris":
        from SALib.sample import morris

        x = morris.sample(problem, design.samples, num_levels=design.levels, seed=seed)
    else:  # pragma: no cover - the spec's Literal refuses other kinds
        raise ValueError(f"unknown design kind {design.kind!r}")
    x = np.asarray(x, dtype=float)
    table = pd.DataFrame({"point": np.arange(len(x), dtype=np.int64)})
    for j, p in enumerate(params):
        table[p.path] = _column(p, [_from_unit(p, v) for v in x[:, j]])
    for j, p in enumerate(params):
        table[unit_column(p.path)] = x[:, j]
    return table


def _column(p: Parameter, values: list) -> pd.Series:
    encoded = [p.encode(v) for v in values]
    dtype = {"float": "float64", "int": "int64", "bool": "bool", "str": "object", "json": "object"}[p.codec]
    return pd.Series(encoded, dtype=dtype)


def duplicate_points(design: pd.DataFrame, parameters: list[Parameter]) -> dict[int, int]:
    """Design points whose parameter values repeat an earlier point's, each mapped to the first such point (a grid
    with a repeated value, or a whole-number parameter that a sampler gives the same value twice). Their runs are
    so many more replicates of one point, which the analysis pools; Sobol and Morris need every point, so there
    they are expected."""
    columns = [p.path for p in parameters]
    if not columns or design.empty:
        return {}
    keys = design[columns].astype(str).agg("\x1f".join, axis=1)
    first = keys.groupby(keys, sort=False).transform(lambda k: k.index[0])
    repeated = first != design.index
    return {int(design.at[i, "point"]): int(design.at[first[i], "point"]) for i in design.index[repeated]}


def point_overrides(parameters: list[Parameter], row: dict) -> dict:
    """The {path: value} changes that make a design point's scenario from the base."""
    return {p.path: p.decode(row[p.path]) for p in parameters}
