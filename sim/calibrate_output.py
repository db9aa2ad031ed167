"""What a finished calibration writes: posterior, diagnostics, predictive runs, figures, the calibrated scenario and
the manifest (last: a calibration folder without manifest.json is not finished). See docs/calibration.md."""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

import numpy as np
import pandas as pd

from .calibrate import Calibration, estimates, utc_now
from .loader import dump_yaml, scenario_document
from .messages import printable
from .observed import Observed
from .results import environment, file_digests, program, write_json
from .schema import Scenario

__all__ = ["write_outputs", "calibrated_yaml"]


def _replace(path: Path, write) -> None:
    """Write under a hidden temporary name, then rename into place: a file is there whole or not at all."""
    temporary = path.with_name(f".tmp-{path.name}")
    write(temporary)
    os.replace(temporary, path)


def _table(folder: Path, name: str, frame: pd.DataFrame) -> None:
    _replace(folder / f"{name}.parquet", lambda p: frame.to_parquet(p, index=False, engine="pyarrow"))
    _replace(folder / f"{name}.csv", lambda p: frame.to_csv(p, index=False))


def calibrated_yaml(scenario: Scenario, calibration: Calibration, table: pd.DataFrame, source: str,
                    observed: str, seed: int) -> str:
    """The scenario with each calibrated field at its posterior median, with a header saying where it came from."""
    from .loader import RawScenario, validate_raw, with_overrides

    simulator = calibration.simulator
    values = {row.path: float(row.median) for row in table.itertuples()}
    raw = RawScenario(scenario_document(scenario), {(): ("calibrated", 0)}, "calibrated")
    calibrated = validate_raw(with_overrides(raw, simulator.overrides(values)))
    lines = [f"# Calibrated by `{program()} calibrate` ({utc_now()}) from {printable(source)} against",
             f"# {printable(observed)} with seed {seed}: each calibrated value below is its posterior median",
             "# (90% credible interval in brackets); every other field is as in the scenario.",]
    for row in table.itertuples():
        lines.append(f"#   {row.path}: {row.median:.6g} [{row.q05:.6g}, {row.q95:.6g}]")
    return "\n".join(lines) + "\n" + dump_yaml(scenario_document(calibrated))


def write_outputs(folder: Path, calibration: Calibration, scenario: Scenario, observed: Observed, *,
                  figures: bool, command, reason: str) -> dict:
    plan = json.loads((folder / "calibration.json").read_text(encoding="utf-8"))
    settings = calibration.settings
    parameters = calibration.simulator.parameters
    targets = calibration.simulator.targets
    diagnostics = calibration.diagnostics()
    posterior = calibration.posterior()
    table = estimates(posterior, parameters)
    predictive = calibration.predictive(posterior, settings.predictive)

    _table(folder, "posterior", posterior)
    _table(folder, "populations", diagnostics)
    _replace(folder / "populations.json",
             lambda p: write_json(p, {"populations": diagnostics.to_dict(orient="records")}))
    _table(folder, "estimates", table)
    _table(folder, "predictive", predictive)
    target_rows = []
    for t in targets:
        values = predictive[t.name].to_numpy(float)
        target_rows.append({**t.describe(), "predicted_mean": float(values.mean()),
                            "predicted_q05": float(np.quantile(values, 0.05)),
                            "predicted_q95": float(np.quantile(values, 0.95))})
    _table(folder, "targets", pd.DataFrame(target_rows).drop(columns=["states"]))
    _replace(folder / "calibrated.yaml", lambda p: p.write_text(
        calibrated_yaml(scenario, calibration, table, plan["scenario"]["source"], plan["observed"]["source"],
                        settings.seed), encoding="utf-8"))
    if figures:
        from . import calibrate_plots

        calibrate_plots.write_figures(folder, posterior, predictive, parameters, targets,
                                      title=f"{scenario.metadata.title} against {observed.process}")
    for stale in folder.glob(".tmp-*"):
        stale.unlink()
    summary = {
        "estimates": table.to_dict(orient="records"),
        "targets": target_rows,
        "populations": int(len(diagnostics)),
        "simulations": int(diagnostics.simulations.sum()),
        "final_epsilon": float(diagnostics.epsilon.iloc[-1]),
        "stopped": reason,
    }
    env = environment()
    try:
        from importlib import metadata

        env["packages"]["pyabc"] = metadata.version("pyabc")
    except Exception:  # pragma: no cover - pyabc is a dependency
        pass
    manifest = {
        "kind": "calibration",
        "created_utc": utc_now(),
        "command": command,
        "seed": settings.seed,
        "scenario": plan["scenario"],
        "observed": plan["observed"],
        "overrides": plan["overrides"],
        "parameters": plan["parameters"],
        "targets": plan["targets"],
        "settings": plan["settings"],
        "result": summary,
        "environment": env,
        "files": file_digests(folder),
        "reproduce": f"{program()} {shlex.join(plan['command'])}" if plan.get("command") else None,
    }
    _replace(folder / "manifest.json", lambda p: write_json(p, manifest))
    return summary
