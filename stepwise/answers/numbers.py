"""GSM8K answers: the last number of a text, read exactly as a :class:`~fractions.Fraction`, and their equality."""

from __future__ import annotations

import re
from fractions import Fraction

# Longest number (in digits) that gsm8k parsing accepts; GSM8K answers have < 15.
MAX_GSM8K_DIGITS = 60

_GSM8K_NUMBER = re.compile(
    r"(?<![\d.,])(?P<sign>-)?\$?\s?"
    r"(?:(?P<integer>\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?P<fraction>\.\d+)?|(?P<bare_fraction>\.\d+))"
)


def parse_gsm8k_number(text: str | None) -> Fraction | None:
    """The last number in ``text`` as an exact Fraction, or None.

    Thousands separators, a ``$`` sign, surrounding words and units are
    ignored: ``"$1,018.50 per week"`` gives ``Fraction(2037, 2)``. Numbers longer
    than :data:`MAX_GSM8K_DIGITS` digits count as unparsable.
    """
    if text is None:
        return None
    last = None
    for match in _GSM8K_NUMBER.finditer(text.replace("\u2212", "-")):
        last = match
    if last is None:
        return None
    integer = (last["integer"] or "0").replace(",", "")
    fraction = last["fraction"] or last["bare_fraction"] or ""
    if len(integer) + len(fraction) > MAX_GSM8K_DIGITS:
        return None
    value = Fraction(integer + fraction)
    return -value if last["sign"] else value


def gsm8k_equal(pred: str | None, ref: str) -> bool:
    """Whether ``pred`` and ``ref`` state the same number (exactly); False if either has none."""
    pred_value = parse_gsm8k_number(pred)
    return pred_value is not None and pred_value == parse_gsm8k_number(ref)
