"""Scoring samples with trained models (the outcome verifier's solution scores in ``verifier``, the PRM's
step scores in ``prm``) and with public PRMs (``public_prm``, their settings in ``public_prm_settings``).

Nothing is imported here: the config layer reads ``public_prm_settings`` without loading torch."""
