"""Print the outcome table of docs/scenarios.md: every scenario and variant over the same seeded replicates.

    python3 scripts/scenario_outcomes.py [--replicates 30] [--seed 0]

For each file: the number of states, how the runs ended, the mean number of core members (signatories of an adopted
text, or supporters of the last draft when none was adopted) and the mean number of rounds. The replicate seeds are
spawned from --seed as `run.py compare` spawns them, so the table lines up with comparisons run with the same seed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.compare import replicate_seeds  # noqa: E402
from sim.loader import load_scenario  # noqa: E402
from sim.runner import run_once  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    seeds = replicate_seeds(args.seed, args.replicates)
    scenarios = ROOT / "scenarios"
    paths = sorted(scenarios.glob("*.yaml")) + sorted((scenarios / "variants").glob("*.yaml"))
    print(f"| file | states | outcomes (of {args.replicates}) | mean core members | mean rounds |")
    print("|---|---:|---|---:|---:|")
    for path in paths:
        scenario = load_scenario(path)
        outcomes, members, rounds = Counter(), [], []
        for seed in seeds:
            summary = run_once(scenario, seed).summary
            outcomes[summary["outcome"]] += 1
            members.append(len(summary["core_members"]))
            rounds.append(summary["rounds"])
        tally = ", ".join(f"{name} {count}" for name, count in outcomes.most_common())
        print(f"| `{path.relative_to(scenarios).as_posix()}` | {len(scenario.states)} | {tally} | "
              f"{statistics.mean(members):.1f} | {statistics.mean(rounds):.1f} |")


if __name__ == "__main__":
    main()
