"""Scoring samples with trained models: the outcome verifier's solution scores, the PRM's step scores,
and the step scores of public PRMs (stepwise.scoring.public_prm)."""

from stepwise.scoring.marked import steps_to_score
from stepwise.scoring.prm import score_steps
from stepwise.scoring.verifier import score_solutions

__all__ = ["score_solutions", "score_steps", "steps_to_score"]
