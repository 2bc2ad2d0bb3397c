"""Scoring samples with trained models: the outcome verifier's solution scores and the PRM's step scores."""

from stepwise.scoring.prm import score_steps, steps_to_score
from stepwise.scoring.verifier import score_solutions

__all__ = ["score_solutions", "score_steps", "steps_to_score"]
