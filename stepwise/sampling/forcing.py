"""Tokens forced during sampling, shared by both backends: the calculator's
results, and the end of a solution after its answer line.

Calculator: when a sequence's generated text ends in an open annotation ``<<expr=`` (or, in
the ``latex`` notation, in ``$expr =`` inside inline math), the
calculator's completion (``"15>>"``, ``" 15"``) is tokenized and forced over the next
steps: every other logit of that row is set to -inf, so sampling (greedy,
temperature, top-p alike) can only pick the forced token. Other sequences of
the batch keep going, so batching never stalls. An expression the calculator
refuses leaves the model's own tokens.

Only a token whose text ends in ``=`` can complete an open annotation, so the
per-step cost for the other sequences is one set lookup; the tail of the text
is decoded only after such a token, and then mostly just its last few tokens.

Answer end: in a format with an answer line (:data:`stepwise.formats.steps.ANSWER_FORMATS`), the
eos token is forced once a newline closes the line that holds the final answer
(:func:`stepwise.formats.steps.answer_line_ended`): a generation ends where the reference
solutions end, rather than writing on and maybe a second answer. The generation
is decoded only after a token that holds a newline.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence

import torch

from stepwise.calculator import MAX_EXPRESSION_CHARS, NOTATIONS, calculator_completion
from stepwise.formats.steps import ANSWER_FORMATS, answer_line_ended

log = logging.getLogger(__name__)

# Tokens decoded to find an open annotation: ``<<``, the expression and ``=``
# take at most MAX_EXPRESSION_CHARS + 3 characters and every token has at least one.
TAIL_TOKENS = MAX_EXPRESSION_CHARS + 3
# Decoded first; enough unless an annotation could have opened before it.
SHORT_TAIL_TOKENS = 16
# A character that an open annotation's expression cannot contain.
_ENDS_EXPRESSION = re.compile(r"[>=\n]")


class ForcedTokens:
    """A tokenizer's view of forcing: calculator trigger tokens and completions, newline tokens, eos."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        # Printable ASCII such as "=" is its own character in byte-level BPE and
        # sentencepiece vocabularies, so the raw token strings suffice.
        self.trigger_ids = frozenset(i for token, i in tokenizer.get_vocab().items() if token.endswith("="))
        # A newline is not printable ASCII (byte-level BPE writes it as "Ċ"): each token is decoded.
        ids = sorted(tokenizer.get_vocab().values())
        texts = tokenizer.batch_decode([[i] for i in ids])
        self.newline_ids = frozenset(i for i, text in zip(ids, texts) if "\n" in text)
        self.eos_id = tokenizer.eos_token_id
        self._equals_ids = tokenizer.encode("=", add_special_tokens=False)
        self._encoded: dict[str, tuple[int, ...] | None] = {}
        self.completed = 0

    def completion_ids(self, generated: Sequence[int], notation: str = "gsm8k") -> tuple[int, ...] | None:
        """Token ids to force after ``generated``, or None if nothing is to be forced."""
        tail = self.tokenizer.decode(list(generated[-SHORT_TAIL_TOKENS:]))
        if notation == "latex":
            # Whether inline math is open depends on the "$"s since the line began.
            complete = "\n" in tail
        else:
            # The expression may have begun before the short tail (or "<<" straddles it).
            complete = "<<" in tail or bool(_ENDS_EXPRESSION.search(tail[:-1]))
        if len(generated) > SHORT_TAIL_TOKENS and not complete:
            tail = self.tokenizer.decode(list(generated[-TAIL_TOKENS:]))
        completion = calculator_completion(tail, notation)
        if completion is None:
            return None
        if completion not in self._encoded:
            self._encoded[completion] = self._encode(completion)
        ids = self._encoded[completion]
        if ids is not None:
            self.completed += 1
        return ids

    def _encode(self, completion: str) -> tuple[int, ...] | None:
        ids = self.tokenizer.encode(completion, add_special_tokens=False)
        # A tokenizer that adds a prefix space (sentencepiece) would write "= 15>>".
        if self.tokenizer.decode(self._equals_ids + ids) != "=" + completion:
            log.warning("calculator: %r does not tokenize to itself after '='; leaving the model's tokens", completion)
            return None
        return tuple(ids)


class SequenceForcing:
    """What one sequence is forced to write, reading its growing list of generated ids.

    ``notation``: the calculator's (None: no calculator); ``answer_format``: the step format whose
    answer line ends the sequence (None: the sequence ends at eos or its length).
    """

    __slots__ = ("calc", "generated", "notation", "answer_format", "_start", "_plan")

    def __init__(
        self, calc: ForcedTokens, generated: list[int], notation: str | None = "gsm8k", answer_format: str | None = None
    ):
        if notation is not None and notation not in NOTATIONS:
            raise ValueError(f"unknown calculator notation {notation!r}; expected one of {NOTATIONS}")
        if answer_format is not None:
            if answer_format not in ANSWER_FORMATS:
                raise ValueError(f"step format {answer_format!r} has no answer line; expected one of {ANSWER_FORMATS}")
            if calc.eos_id is None:
                raise ValueError("the tokenizer has no eos token to end a generation after its answer line")
        self.calc = calc
        self.generated = generated
        self.notation = notation
        self.answer_format = answer_format
        self._start = 0
        self._plan: tuple[int, ...] = ()

    def next_forced(self) -> int | None:
        """The token this sequence must produce next, or None to let the model choose.

        A function of the length of ``generated``, so calling it twice at one
        step gives the same answer.
        """
        generated = self.generated
        length = len(generated)
        offset = length - self._start
        if 0 <= offset < len(self._plan):
            return self._plan[offset]
        if not length:
            return None
        last = generated[-1]
        if self.notation is not None and last in self.calc.trigger_ids:
            plan = self.calc.completion_ids(generated, self.notation)
            if plan:
                self._start, self._plan = length, plan
                return plan[0]
        if (
            self.answer_format is not None
            and last in self.calc.newline_ids
            and answer_line_ended(self.calc.tokenizer.decode(generated), self.answer_format)
        ):
            return self.calc.eos_id
        return None


def force_tokens(logits: torch.Tensor, sequences: Iterable[tuple[int, SequenceForcing]]) -> torch.Tensor:
    """``logits``, changed in place: each ``(row, sequence)`` whose next token is forced
    (:meth:`SequenceForcing.next_forced`) allows only that token in its row."""
    rows, tokens = [], []
    for row, sequence in sequences:
        token = sequence.next_forced()
        if token is not None:
            rows.append(row)
            tokens.append(token)
    if rows:
        row_index = torch.tensor(rows, device=logits.device)
        token_index = torch.tensor(tokens, device=logits.device)
        logits[row_index] = float("-inf")
        logits[row_index, token_index] = 0.0
    return logits
