"""The slide animation: `run.py run SCENARIO --animate` writes negotiation.gif, one frame per round."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from PIL import Image, ImageChops

from sim.cli import main
from sim.loader import load_scenario
from sim.plots import write_animation
from sim.runner import run_once

from .conftest import SCENARIOS

CLASSROOM = SCENARIOS / "classroom.yaml"


def _frames(path):
    with Image.open(path) as gif:
        frames = []
        for index in range(gif.n_frames):
            gif.seek(index)
            frames.append(gif.convert("RGB"))
        return frames


def test_gif_has_one_frame_per_row_of_the_rounds_table(tmp_path):
    """write_animation draws one frame per row of the rounds table (round 0, the opening, included) and returns
    that count; the frames are distinct pictures."""
    result = run_once(load_scenario(CLASSROOM), seed=3, max_rounds=4)
    target = tmp_path / "negotiation.gif"
    written = write_animation(target, result)
    frames = _frames(target)
    assert len(result.rounds) == 5
    assert written == len(frames) == len(result.rounds)
    assert all(ImageChops.difference(a, b).getbbox() for a, b in zip(frames, frames[1:]))


def test_gif_keeps_a_frame_for_rounds_in_which_nothing_moves(tmp_path):
    """Rounds in which no state moves still get their own frame: GIF writers merge identical consecutive frames,
    and a stalled negotiation must not lose its rounds on the slide."""
    states = load_scenario(CLASSROOM).states
    still = [f"states.{s.id}.flexibility=0" for s in states] + ["protocol.concession_noise=0"]
    result = run_once(load_scenario(CLASSROOM, still), seed=0, max_rounds=3)
    assert result.rounds["movement"].max() < 1e-12
    target = tmp_path / "still.gif"
    write_animation(target, result)
    assert len(_frames(target)) == len(result.rounds) == 4


def test_run_animate_writes_the_gif_into_the_results_folder(tmp_path, capsys):
    """`run --animate` puts negotiation.gif beside rounds.csv, with as many frames as rounds.csv has rows, and lists
    it in the manifest; without --animate there is no GIF."""
    out = tmp_path / "results"
    code = main(["run", str(CLASSROOM), "--rounds", "3", "--seed", "1", "--animate", "--no-figures", "--quiet",
                 "--out", str(out)])
    assert code == 0
    folder = Path(capsys.readouterr().out.strip().splitlines()[-1])
    rows = len(pd.read_csv(folder / "rounds.csv"))
    assert rows == 4
    assert len(_frames(folder / "negotiation.gif")) == rows
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert "negotiation.gif" in manifest["files"]

    code = main(["run", str(CLASSROOM), "--rounds", "2", "--no-figures", "--quiet", "--out", str(out)])
    assert code == 0
    plain = Path(capsys.readouterr().out.strip().splitlines()[-1])
    assert not (plain / "negotiation.gif").exists()
