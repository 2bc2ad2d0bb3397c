# Outcome verifier on GSM8K (Cobbe et al., 2021): generator SFT on the gold
# solutions (rules/generator.smk), samples of the training problems, a
# token-level verifier trained on their correctness (rules/outcome_verifier.smk),
# and best-of-N / voting on samples of the test problems (rules/evaluation.smk).


rule gsm8k_verifier:
    input:
        evaluation_outputs("gsm8k"),
