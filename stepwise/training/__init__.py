"""Training: generator SFT (trl), the token-level outcome verifier, the process reward model, and the code they share."""

from stepwise.training.prm import PRMSettings, ProcessRewardModel, load_prm, score_steps, train_prm
from stepwise.training.sft import SFTSettings, build_sft_trainer, train_sft
from stepwise.training.verifier import (
    TokenVerifier,
    VerifierSettings,
    load_verifier,
    score_solutions,
    train_verifier,
)

__all__ = [
    "PRMSettings",
    "ProcessRewardModel",
    "SFTSettings",
    "TokenVerifier",
    "VerifierSettings",
    "build_sft_trainer",
    "load_prm",
    "load_verifier",
    "score_solutions",
    "score_steps",
    "train_prm",
    "train_sft",
    "train_verifier",
]
