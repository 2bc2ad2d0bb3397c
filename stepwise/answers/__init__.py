"""Final answers: extraction from solution text and equivalence checking."""

from stepwise.answers.check import AnswerChecker, AnswerForm, CheckStats
from stepwise.answers.extract import (
    extract_answer,
    extract_boxed,
    extract_hash_answer,
    extract_prm800k_answer,
    extract_the_answer_is,
)
from stepwise.answers.latex import normalise_latex_answer
from stepwise.answers.numbers import gsm8k_equal, parse_gsm8k_number

__all__ = [
    "AnswerChecker",
    "AnswerForm",
    "CheckStats",
    "extract_answer",
    "extract_boxed",
    "extract_hash_answer",
    "extract_prm800k_answer",
    "extract_the_answer_is",
    "gsm8k_equal",
    "normalise_latex_answer",
    "parse_gsm8k_number",
]
