"""Training: generator SFT (trl), the token-level outcome verifier, the process reward model, and their shared code."""

from stepwise.training.prm_config import PRMSettings
from stepwise.training.prm_model import ProcessRewardModel, load_prm
from stepwise.training.prm_trainer import train_prm
from stepwise.training.sft import SFTSettings, build_sft_trainer, train_sft
from stepwise.training.verifier import (
    TokenVerifier,
    VerifierSettings,
    load_verifier,
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
    "train_prm",
    "train_sft",
    "train_verifier",
]
