"""Accuracy plots: every line of a panel can be told apart, and a method looks the same in every panel."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd

from stepwise.evaluation.accuracy import method_family, method_styles, plot_panels

MATH_METHODS = [
    "greedy",
    "majority",
    "weighted_majority",
    "orm",
    "prm800k_prm_prod",
    "prm800k_prm_min",
    "prm800k_prm_last",
    "shepherd_prm_prod",
    "shepherd_prm_min",
    "shepherd_prm_last",
    "chance",
    "pass@n",
]


def _look(style: dict) -> tuple:
    return (
        tuple(style["color"]) if not isinstance(style["color"], str) else style["color"],
        str(style["linestyle"]),
        style["marker"],
    )


def test_families_get_colours_and_aggregations_line_styles():
    assert method_family("prm800k_prm_min") == ("prm800k_prm", "min")
    assert method_family("weighted_majority") == ("weighted_majority", None)
    assert method_family("topk_vote") == ("topk_vote", None)
    styles = method_styles(MATH_METHODS)
    looks = [_look(styles[m]) for m in MATH_METHODS]
    assert len(set(looks)) == len(looks)  # 12 methods, no two drawn alike (the default cycle repeats after 10)
    assert styles["prm800k_prm_min"]["color"] == styles["prm800k_prm_prod"]["color"]
    assert styles["prm800k_prm_min"]["linestyle"] == styles["shepherd_prm_min"]["linestyle"]
    assert styles["shepherd_prm_prod"]["color"] != styles["prm800k_prm_prod"]["color"]
    assert styles["pass@n"]["color"] == "black"


def test_a_method_has_one_look_across_panels(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    def table(methods):
        return pd.DataFrame(
            [{"method": m, "n": n, "accuracy": 0.1 * i, "std": 0.0} for i, m in enumerate(methods) for n in (1, 2, 4)]
        )

    drawn = {}
    original = plt.Axes.plot

    def record(ax, *args, label=None, **kwargs):
        drawn.setdefault(label, set()).add((str(kwargs["color"]), str(kwargs["linestyle"]), kwargs["marker"]))
        return original(ax, *args, label=label, **kwargs)

    monkeypatch.setattr(plt.Axes, "plot", record)
    plot_panels(
        {
            "GSM8K": table(["greedy", "verifier", "shepherd_prm_min", "pass@n"]),
            "MATH": table(["greedy", "orm", "shepherd_prm_min", "pass@n"]),
        },
        tmp_path / "plot.png",
    )
    assert (tmp_path / "plot.png").stat().st_size > 0
    assert set(drawn) == {"greedy", "verifier", "orm", "shepherd_prm_min", "pass@n"}
    assert all(len(looks) == 1 for looks in drawn.values()), drawn
