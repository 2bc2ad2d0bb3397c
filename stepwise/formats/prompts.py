"""Chat-free prompt formats shared by training, sampling and scoring.

A solution is always generated as the continuation of its prompt, so the same
strings are used to build SFT data, to sample, and to score samples.
"""

from __future__ import annotations


def gsm8k_prompt(question: str) -> str:
    """Prompt for a GSM8K-format problem; the solution follows on the next line."""
    return f"Question: {question.strip()}\nAnswer:\n"


def math_prompt(problem: str) -> str:
    """Prompt for a MATH-format problem; the solution follows in the PRM800K step format."""
    return f"Problem: {problem.strip()}\nSolution:\n"
