"""Sampling with vLLM's offline ``LLM`` (prefix caching on), calculator included.

The calculator runs inside vLLM's engine as a custom logits processor
(vLLM's v1 ``LogitsProcessor`` extension point), so a sequence that opens an
annotation has the result forced over its next steps while the rest of the
batch keeps decoding; it is switched on per request through
``SamplingParams.extra_args["calculator"]``, which holds the notation (``gsm8k`` or ``latex``).
The same processor ends a generation after its answer line when
``extra_args["end_after_answer"]`` names the step format (:mod:`stepwise.sampling.forcing`).

Seeds: each prompt gets its own vLLM seed derived from ``(seed, prompt)``
(vLLM gives the ``n`` samples of a request ``seed + i``), so a problem's
samples do not depend on which other prompts share the call, batch or shard.
Identical prompts therefore get identical samples.

vLLM starts worker processes: create the sampler from code run under
``if __name__ == "__main__":``. Importing this module imports vLLM;
:func:`stepwise.sampling.make_sampler` does so only when vLLM is wanted.
"""

from __future__ import annotations

import hashlib
import logging
import os
from typing import TYPE_CHECKING, Any

import torch
import vllm
from vllm.v1.sample.logits_processor import BatchUpdate, LogitsProcessor
from vllm.v1.sample.logits_processor.builtin import process_dict_updates

from stepwise.sampling.base import Generation, SamplingParams
from stepwise.sampling.forcing import ForcedTokens, SequenceForcing, force_tokens

if TYPE_CHECKING:
    from vllm.config import VllmConfig

log = logging.getLogger(__name__)

CALCULATOR_ARG = "calculator"
ANSWER_END_ARG = "end_after_answer"


class VLLMForcingProcessor(LogitsProcessor):
    """vLLM logits processor forcing calculator results and answer-line ends for requests that ask for them."""

    def __init__(self, vllm_config: VllmConfig, device: torch.device, is_pin_memory: bool):
        from transformers import AutoTokenizer

        model_config = vllm_config.model_config
        tokenizer = AutoTokenizer.from_pretrained(
            model_config.tokenizer, trust_remote_code=model_config.trust_remote_code
        )
        self.calc = ForcedTokens(tokenizer)
        self.sequences: dict[int, SequenceForcing] = {}

    def is_argmax_invariant(self) -> bool:
        """Forcing changes the argmax, so greedy requests need it too."""
        return False

    def update_state(self, batch_update: BatchUpdate | None) -> None:
        """Track the batch rows of requests with the calculator or the answer end on."""
        process_dict_updates(self.sequences, batch_update, self._new_sequence)

    def _new_sequence(self, params, prompt_ids: list[int] | None, output_ids: list[int]) -> SequenceForcing | None:
        extra = params.extra_args or {}
        notation, answer_format = extra.get(CALCULATOR_ARG), extra.get(ANSWER_END_ARG)
        if not notation and not answer_format:
            return None
        return SequenceForcing(self.calc, output_ids, notation, answer_format)

    def apply(self, logits: torch.Tensor) -> torch.Tensor:
        """Force the next token in every row that has one."""
        return force_tokens(logits, self.sequences.items())


class VLLMSampler:
    """:class:`~stepwise.sampling.base.Sampler` on ``vllm.LLM``."""

    backend = "vllm"

    def __init__(
        self,
        model_dir: str | os.PathLike,
        *,
        tensor_parallel_size: int = 1,
        gpu_memory_utilization: float = 0.3,
        batch_size: int | None = None,
        dtype: str = "auto",
        max_model_len: int | None = None,
        seed: int = 0,
        **engine_kwargs: Any,
    ):
        if batch_size is not None:
            engine_kwargs["max_num_seqs"] = batch_size
        self.llm = vllm.LLM(
            model=str(model_dir),
            enable_prefix_caching=True,
            tensor_parallel_size=tensor_parallel_size,
            gpu_memory_utilization=gpu_memory_utilization,
            dtype=dtype,
            max_model_len=max_model_len,
            seed=seed,
            logits_processors=[VLLMForcingProcessor],
            **{**platform_engine_kwargs(), **engine_kwargs},
        )
        log.info("vllm sampler: %s (tensor_parallel_size=%d)", model_dir, tensor_parallel_size)

    def generate(self, prompts: list[str], params: SamplingParams) -> list[list[Generation]]:
        """``params.n`` generations per prompt, in prompt order."""
        log.info(
            "vllm: %d prompts x %d samples (calculator %s)",
            len(prompts),
            params.n,
            "on" if params.calculator else "off",
        )
        outputs = self.llm.generate(prompts, [vllm_params(params, prompt) for prompt in prompts], use_tqdm=True)
        return [[_to_generation(completion) for completion in output.outputs] for output in outputs]


def platform_engine_kwargs() -> dict[str, Any]:
    """Engine settings this platform needs.

    On a CPU, vLLM 0.32 crashes on a seeded request whose prefill is split into
    chunks ("CPU Generator does not use offset"), so prompts are prefilled whole.
    """
    return {"enable_chunked_prefill": False} if vllm.platforms.current_platform.is_cpu() else {}


def prompt_seed(seed: int, prompt: str) -> int:
    """A 31-bit seed for one prompt, stable across processes and Python versions."""
    digest = hashlib.sha256(f"{seed}\0{prompt}".encode()).digest()
    return int.from_bytes(digest[:4], "little") >> 1


def vllm_params(params: SamplingParams, prompt: str):
    """vLLM ``SamplingParams`` for one prompt."""
    return vllm.SamplingParams(
        n=params.n,
        temperature=params.temperature,
        top_p=params.top_p,
        max_tokens=params.max_tokens,
        seed=None if params.seed is None else prompt_seed(params.seed, prompt),
        stop=list(params.stop) or None,
        extra_args=_forcing_args(params),
    )


def _forcing_args(params: SamplingParams) -> dict[str, str] | None:
    """What :class:`VLLMForcingProcessor` forces for a request (None: nothing)."""
    extra = {CALCULATOR_ARG: params.calculator_notation} if params.calculator else {}
    if params.end_after_answer:
        extra[ANSWER_END_ARG] = params.end_after_answer
    return extra or None


def _to_generation(completion) -> Generation:
    if completion.finish_reason not in ("stop", "length"):
        raise RuntimeError(f"vLLM finished a sequence with reason {completion.finish_reason!r}")
    # stop_reason: the stop string matched (a str), a stop token id, or None (eos, length)
    stop_string = completion.stop_reason if isinstance(completion.stop_reason, str) else None
    return Generation(completion.text, len(completion.token_ids), completion.finish_reason, stop_string)
