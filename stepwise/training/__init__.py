"""Training: generator SFT (trl), the token-level outcome verifier and the process reward model, with their
settings; the models they train are in :mod:`stepwise.models`. Import the modules themselves: this package
imports nothing, so that reading a settings class does not load a trainer."""
