"""Results folders are written completely or not at all, and never overwrite anything."""

from __future__ import annotations

import pytest

from sim.results import new_folder


def test_folder_appears_only_when_complete(tmp_path):
    """While being written the folder has a hidden temporary name; it takes its name at the end."""
    with new_folder(tmp_path, "run-a") as building:
        (building.path / "x.txt").write_text("1")
        assert building.path.name.startswith(".partial-")
        assert not (tmp_path / "run-a").exists()
    assert building.final == tmp_path / "run-a"
    assert (tmp_path / "run-a" / "x.txt").read_text() == "1"
    assert [p.name for p in tmp_path.iterdir()] == ["run-a"]


def test_existing_folders_are_never_overwritten(tmp_path):
    """An existing folder of the same name, even an empty one, is left alone; the new one gets a suffix."""
    (tmp_path / "run-a").mkdir()
    (tmp_path / "run-b").mkdir()
    (tmp_path / "run-b" / "keep.txt").write_text("old")
    with new_folder(tmp_path, "run-a") as first:
        pass
    with new_folder(tmp_path, "run-b") as second:
        (second.path / "new.txt").write_text("new")
    assert first.final.name == "run-a-2" and second.final.name == "run-b-2"
    assert (tmp_path / "run-b" / "keep.txt").read_text() == "old"
    assert list((tmp_path / "run-a").iterdir()) == []


def test_a_crash_leaves_nothing_behind(tmp_path):
    """An exception while writing removes the temporary folder and re-raises."""
    with pytest.raises(RuntimeError):
        with new_folder(tmp_path, "run-c") as building:
            (building.path / "half.csv").write_text("a,b\n")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
