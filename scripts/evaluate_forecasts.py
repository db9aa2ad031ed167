"""Score the model's per-state forecasts out of sample, against baselines fitted on other facts.

    python3 scripts/evaluate_forecasts.py [--replicates 30] [--seed 0]

Training facts (what the baselines may learn from): who is a party to the Budapest Convention among the states that
data/observed/budapest.yaml names (50 parties, 5 outside). Test facts (what every forecaster is scored on): the
decisions at the opening for signature of the UN Convention against Cybercrime (Hanoi, Oct 2025) of the ten states
that public reporting names (data/observed/un_cybercrime.yaml; the full per-state list is held out and never read).

Forecasters:
- the model: the share of replicate runs of scenarios/un_cybercrime.yaml in which the state signed at the opening
  (the signatories of the adopted text, in the round of adoption; 0 in runs that adopt nothing);
- base rate and majority of the training facts;
- no change: nobody signed before the opening, so every state stays out;
- a logistic regression of the outcome on the six 2018-2019 UN cyber votes (data/unga), fitted on the training facts.
Scores (sim.scoring): Brier and log score (lower is better), balanced accuracy and ROC AUC (higher is better). The
table is printed as Markdown, as docs/validation.md shows it.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim import scoring  # noqa: E402
from sim.compare import replicate_seeds  # noqa: E402
from sim.loader import load_scenario  # noqa: E402
from sim.observed import load_observed  # noqa: E402
from sim.runner import run_once  # noqa: E402

CYBER_VOTES = ROOT / "data" / "unga" / "unga_cyber_votes_from_unvotes.csv"
RESOLUTIONS = ("R/73/27", "R/73/266", "R/73/187", "A/RES/74/28", "A/RES/74/29", "A/RES/74/247")


def read_votes(path: Path = CYBER_VOTES) -> dict[str, dict[str, str]]:
    """state -> resolution -> yes / no / abstain, from the long cyber-vote file."""
    votes: dict[str, dict[str, str]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):  # csv keeps Namibia's code "NA" as text
            votes.setdefault(row["iso2"], {})[row["resolution"]] = row["vote"]
    return votes


def facts(decisions: dict[str, int], votes) -> scoring.Facts:
    ids = tuple(sorted(decisions))
    features, names = scoring.vote_features(votes, ids, RESOLUTIONS)
    return scoring.Facts(ids=ids, features=features, outcomes=np.array([decisions[s] for s in ids], float),
                         before=np.zeros(len(ids)), feature_names=names)


def model_forecast(scenario, ids, seeds) -> np.ndarray:
    """Share of runs in which each state signed at the opening (the round of adoption)."""
    signed = np.zeros(len(ids))
    for seed in seeds:
        result = run_once(scenario, seed)
        model = result.model
        if model.adopted_round is None:
            continue
        at_opening = model.log.signed[model.adopted_round]
        signed += [bool(at_opening[model.index[s]]) if s in model.index else 0.0 for s in ids]
    return signed / len(seeds)


def evaluate(replicates: int, seed: int, scenario_path: Path | None = None) -> list[dict]:
    votes = read_votes()
    train = facts(load_observed(ROOT / "data" / "observed" / "budapest.yaml").joined_at("status"), votes)
    test = facts(load_observed(ROOT / "data" / "observed" / "un_cybercrime.yaml").joined_at("opening"), votes)
    split = scoring.Split(train=train, test=test)
    scenario = load_scenario(scenario_path or ROOT / "scenarios" / "un_cybercrime.yaml")
    forecasts = {"the model (scenarios/un_cybercrime.yaml)": model_forecast(scenario, test.ids,
                                                                              replicate_seeds(seed, replicates))}
    forecasts.update({name: baseline(split) for name, baseline in scoring.BASELINES.items()})
    return scoring.score_table(test.outcomes, forecasts)


def markdown(rows: list[dict]) -> str:
    lines = ["| forecaster | facts | Brier (lower is better) | log score (lower) | balanced accuracy | ROC AUC |",
             "|---|---:|---:|---:|---:|---:|"]
    for row in rows:
        auc = "n/a" if np.isnan(row["roc_auc"]) else f"{row['roc_auc']:.2f}"
        lines.append(f"| {row['forecaster']} | {row['n']} | {row['brier']:.3f} | {row['log']:.3f} | "
                     f"{row['balanced_accuracy']:.2f} | {auc} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print(markdown(evaluate(args.replicates, args.seed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
