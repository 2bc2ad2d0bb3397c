"""Training: generator SFT (trl), the token-level outcome verifier, and the shared batching code."""

from stepwise.training.sft import SFTSettings, build_sft_trainer, train_sft
from stepwise.training.verifier import (
    TokenVerifier,
    VerifierSettings,
    load_verifier,
    score_solutions,
    train_verifier,
)

__all__ = [
    "SFTSettings",
    "TokenVerifier",
    "VerifierSettings",
    "build_sft_trainer",
    "load_verifier",
    "score_solutions",
    "train_sft",
    "train_verifier",
]
