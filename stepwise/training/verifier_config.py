"""Settings of the token-level outcome verifier (Cobbe et al. 2021): what it trains with and how it is read."""

from __future__ import annotations

from dataclasses import dataclass

from stepwise.training.lm import TrainingSettings

LOSSES = ("mse", "bce")
BALANCE_MODES = ("none", "weight", "subsample", "within_prompt")


@dataclass(frozen=True)
class VerifierSettings(TrainingSettings):
    """Verifier training hyper-parameters (Cobbe et al.: 1 epoch, MSE, joint LM loss).

    ``balance``: "weight" re-weights examples so that correct and wrong
    solutions carry equal total weight, "subsample" drops examples of the larger
    class at random, "none" keeps the data as sampled. ``dropout`` goes to the
    model config's dropout attributes and to the hidden state fed to the head.
    """

    loss: str = "mse"
    lm_weight: float = 1.0
    balance: str = "none"

    def __post_init__(self):
        for name, value, allowed in (("loss", self.loss, LOSSES), ("balance", self.balance, BALANCE_MODES)):
            if value not in allowed:
                raise ValueError(f"verifier {name} must be one of {allowed}, got {value!r}")
        if self.lm_weight < 0:
            raise ValueError(f"lm_weight must be >= 0, got {self.lm_weight}")
