"""scripts/validate_ktab.py: the one-parameter shrinkage baseline of the KTAB cross-check (final = ideal + lambda
(compromise - ideal), lambda by least squares), its leave-one-case-out version, and the fit table of
docs/validation.md that the script prints."""

from __future__ import annotations


import numpy as np
import pytest

from .conftest import ROOT, script_module

SCRIPT = ROOT / "scripts" / "validate_ktab.py"


@pytest.fixture(scope="module")
def vk():
    """The validation script as a module (it lives in scripts/, outside the package)."""
    with script_module(SCRIPT) as module:
        yield module


def test_lambda_and_r2_of_a_hand_worked_case(vk):
    """Two actors on one dimension, ideals 0 and 20, compromise 10, ending at 4 and 18: the pulls are +10 and -10,
    the moves +4 and -2, so lambda = (40 + 20) / 200 = 0.3; the shrinkage ends them at 3 and 17, residuals 1 and 1,
    and R^2 = 1 - 2 / 20 = 0.9."""
    ideal, final = np.array([[0.0], [20.0]]), np.array([[4.0], [18.0]])
    assert vk.shrinkage_lambda(ideal, np.array([10.0]), final) == pytest.approx(0.3)
    np.testing.assert_allclose(vk.shrink(ideal, np.array([10.0]), 0.3), [[3.0], [17.0]])
    lam, r2 = vk.shrinkage_r2(ideal, np.array([10.0]), final)
    assert (lam, r2) == (pytest.approx(0.3), pytest.approx(0.9))


def test_an_exact_shrinkage_is_recovered_on_every_dimension(vk):
    """Final positions made by a shrinkage with lambda 0.4 toward a compromise that differs by dimension give back
    lambda 0.4 and R^2 1; lambda 0 is no change and lambda 1 is the compromise itself."""
    rng = np.random.default_rng(3)
    ideal, comp = rng.uniform(0, 100, (7, 3)), np.array([20.0, 50.0, 80.0])
    assert vk.shrinkage_r2(ideal, comp, vk.shrink(ideal, comp, 0.4)) == (pytest.approx(0.4), pytest.approx(1.0))
    np.testing.assert_allclose(vk.shrink(ideal, comp, 0.0), ideal)
    np.testing.assert_allclose(vk.shrink(ideal, comp, 1.0), np.broadcast_to(comp, ideal.shape))


def test_lambda_is_the_least_squares_minimum(vk):
    """On noisy positions no other lambda has a smaller sum of squared errors over the actor-dimension pairs."""
    rng = np.random.default_rng(7)
    ideal, comp = rng.uniform(0, 100, (13, 2)), np.array([36.0, 39.0])
    final = rng.uniform(0, 100, (13, 2))
    lam = vk.shrinkage_lambda(ideal, comp, final)

    def sse(value):
        return float(((final - vk.shrink(ideal, comp, value)) ** 2).sum())

    assert all(sse(lam) < sse(lam + step) for step in (-0.05, -1e-3, 1e-3, 0.05))


def test_leave_one_case_out_uses_only_the_other_case(vk):
    """Each case gets the lambda of the other case, whatever its own final positions are: cases made with lambda
    0.2 and 0.7 swap their lambdas, and moving one case's finals changes the other's lambda but never its own."""
    rng = np.random.default_rng(11)
    ideal_a, comp_a = rng.uniform(0, 100, (7, 3)), np.array([78.0, 47.0, 52.0])
    ideal_b, comp_b = rng.uniform(0, 100, (13, 2)), np.array([36.0, 39.0])
    cases = {"a": (ideal_a, comp_a, vk.shrink(ideal_a, comp_a, 0.2)),
             "b": (ideal_b, comp_b, vk.shrink(ideal_b, comp_b, 0.7))}
    out = vk.leave_one_case_out(cases)
    assert out == {"a": pytest.approx(0.7), "b": pytest.approx(0.2)}

    moved = dict(cases, a=(ideal_a, comp_a, ideal_a + rng.normal(0, 10, ideal_a.shape)))
    again = vk.leave_one_case_out(moved)
    assert again["a"] == pytest.approx(0.7)
    assert again["b"] != pytest.approx(0.2)


def test_leave_one_case_out_pools_the_other_cases(vk):
    """With three cases, a case's lambda is the least-squares fit to the other two cases' pairs taken together."""
    rng = np.random.default_rng(5)
    cases = {name: (rng.uniform(0, 100, (n, 2)), rng.uniform(0, 100, 2), rng.uniform(0, 100, (n, 2)))
             for name, n in (("a", 4), ("b", 6), ("c", 9))}
    pooled = [np.concatenate([np.broadcast_to(cases[n][i], cases[n][0].shape) for n in ("b", "c")])
              for i in range(3)]
    assert vk.leave_one_case_out(cases)["a"] == pytest.approx(vk.shrinkage_lambda(*pooled))


@pytest.mark.parametrize("call, message", [
    (lambda vk: vk.shrinkage_lambda(np.full((3, 2), 5.0), np.array([5.0, 5.0]), np.zeros((3, 2))),
     "every actor is at the compromise"),
    (lambda vk: vk.shrinkage_lambda(np.zeros((3, 2)), np.array([5.0, 5.0]), np.zeros((2, 2))), "differ in shape"),
    (lambda vk: vk.shrinkage_lambda(np.zeros((1, 1)), np.array([np.nan]), np.zeros((1, 1))), "finite"),
    (lambda vk: vk.leave_one_case_out({"a": (np.zeros((1, 1)), np.ones(1), np.ones((1, 1)))}), "two cases"),
])
def test_an_undefined_fit_is_refused(vk, call, message):
    """A lambda that the data cannot define (nobody away from the compromise, mismatched or non-finite positions,
    a single case to leave out) is an error, not a number."""
    with pytest.raises(ValueError, match=message):
        call(vk)


def test_the_validation_doc_shows_the_fit_table_as_the_script_prints_it(vk):
    """docs/validation.md's fit table has the script's header and its rows (case and forecast) in the script's
    order (the figures are the model's and are not pinned here)."""
    rng = np.random.default_rng(0)
    positions = {case: {"ideal": rng.uniform(0, 100, (4, 2)), "compromise": rng.uniform(0, 100, 2),
                        "KTAB": rng.uniform(0, 100, (4, 2)), "treatysim": rng.uniform(0, 100, (4, 2))}
                 for case in vk.CASES}
    printed = vk.markdown(vk.fit_summary(positions), digits=2).splitlines()
    text = (ROOT / "docs" / "validation.md").read_text(encoding="utf-8")
    section = text.split("### Fit to KTAB's final positions", 1)[1].split("\n### ", 1)[0]
    header = "\n".join(printed[:2])
    assert header in section
    shown = [line.split(" | ")[:2] for line in section.split(header, 1)[1].strip().splitlines()
             if line.startswith("| ")]
    assert shown == [line.split(" | ")[:2] for line in printed[2:]]
