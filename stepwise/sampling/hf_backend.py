"""Sampling with transformers' ``generate``: batched, KV-cached, left-padded.

Prompts are sorted by length before batching (less padding) and results are
put back in prompt order. ``n`` samples per prompt share their prompt's
prefill: the prompts are encoded once, their KV cache repeated ``n`` times, and
``generate`` continues from it (``generate``'s own ``num_return_sequences``
would encode each prompt ``n`` times: half of step-wise search's generation
time went there). Greedy decoding runs once per prompt and repeats the result. A seed makes a
call reproducible for the same prompts, parameters and batch size (each batch
reseeds ``seed + batch_index``; the global random state is left untouched).
"""

from __future__ import annotations

import logging
import os

import torch
from tqdm.auto import tqdm
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    DynamicCache,
    GenerationConfig,
    LogitsProcessor,
    LogitsProcessorList,
)

from stepwise.sampling.base import Generation, SamplingParams, cut_at_stop
from stepwise.sampling.forcing import ForcedTokens, SequenceForcing, force_tokens

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 64


class ForcingLogitsProcessor(LogitsProcessor):
    """Forces calculator results and answer-line ends (:mod:`stepwise.sampling.forcing`), row by row,
    during one ``generate`` call; ``notation`` None: no calculator, ``answer_format`` None: no answer end."""

    def __init__(
        self,
        calc: ForcedTokens,
        prompt_length: int,
        notation: str | None = "gsm8k",
        answer_format: str | None = None,
    ):
        self.calc = calc
        self.prompt_length = prompt_length
        self.notation = notation
        self.answer_format = answer_format
        self.rows: list[SequenceForcing] = []

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if not self.rows:
            self.rows = [
                SequenceForcing(self.calc, [], self.notation, self.answer_format) for _ in range(input_ids.shape[0])
            ]
        if input_ids.shape[1] > self.prompt_length:
            for row, token in zip(self.rows, input_ids[:, -1].tolist()):
                row.generated.append(token)
        return force_tokens(scores, enumerate(self.rows))


class HFSampler:
    """:class:`~stepwise.sampling.base.Sampler` on transformers, on CUDA when available."""

    backend = "hf"

    def __init__(
        self,
        model_dir: str | os.PathLike,
        *,
        batch_size: int | None = None,
        dtype: str = "auto",
        max_model_len: int | None = None,
        device: str | None = None,
    ):
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.batch_size = batch_size or DEFAULT_BATCH_SIZE
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir, padding_side="left")
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        torch_dtype = dtype if dtype == "auto" else getattr(torch, dtype)
        self.model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch_dtype).to(self.device).eval()
        self.max_model_len = max_model_len or self.model.config.max_position_embeddings
        self.eos_ids = _eos_ids(self.model, self.tokenizer)
        self.calc = ForcedTokens(self.tokenizer)
        log.info(
            "hf sampler: %s on %s (%s), batches of %d sequences",
            model_dir,
            self.device,
            self.model.dtype,
            self.batch_size,
        )

    def generate(self, prompts: list[str], params: SamplingParams) -> list[list[Generation]]:
        """``params.n`` generations per prompt, in prompt order."""
        encoded = [self.tokenizer(prompt)["input_ids"] for prompt in prompts]
        self._check_lengths(encoded, params.max_tokens)
        order = sorted(range(len(prompts)), key=lambda i: len(encoded[i]))
        copies = 1 if params.greedy else params.n
        per_batch = max(1, self.batch_size // copies)
        batches = [order[start : start + per_batch] for start in range(0, len(order), per_batch)]
        log.info(
            "hf: %d prompts x %d samples in %d batches (calculator %s)",
            len(prompts),
            params.n,
            len(batches),
            "on" if params.calculator else "off",
        )
        completed_before = self.calc.completed
        results: list[list[Generation]] = [[] for _ in prompts]
        for batch_index, batch in enumerate(tqdm(batches, desc="hf sampling", unit="batch", disable=None)):
            seed = None if params.seed is None else params.seed + batch_index
            rows = self._generate_batch([encoded[i] for i in batch], params, copies, seed)
            for position, prompt_index in enumerate(batch):
                generations = rows[position * copies : (position + 1) * copies]
                results[prompt_index] = generations * (params.n // copies)
        if params.calculator:
            log.info("hf: calculator completed %d annotations", self.calc.completed - completed_before)
        return results

    def _check_lengths(self, encoded: list[list[int]], max_tokens: int) -> None:
        for index, ids in enumerate(encoded):
            if len(ids) + max_tokens > self.max_model_len:
                raise ValueError(
                    f"prompt {index} has {len(ids)} tokens; with max_tokens={max_tokens} it exceeds "
                    f"max_model_len={self.max_model_len}"
                )

    @torch.inference_mode()
    def _generate_batch(
        self, encoded: list[list[int]], params: SamplingParams, copies: int, seed: int | None
    ) -> list[Generation]:
        batch = self.tokenizer.pad({"input_ids": encoded}, return_tensors="pt").to(self.device)
        prompt_length = batch["input_ids"].shape[1]
        config = GenerationConfig(
            max_new_tokens=params.max_tokens,
            do_sample=not params.greedy,
            eos_token_id=sorted(self.eos_ids),
            pad_token_id=self.tokenizer.pad_token_id,
            repetition_penalty=1.0,
            stop_strings=list(params.stop) or None,
            # top_k=0: vLLM's default, no top-k cut (transformers' default is 50).
            **({} if params.greedy else {"temperature": params.temperature, "top_p": params.top_p, "top_k": 0}),
        )
        notation = params.calculator_notation if params.calculator else None
        processors = LogitsProcessorList(
            [ForcingLogitsProcessor(self.calc, prompt_length, notation, params.end_after_answer)]
            if notation or params.end_after_answer
            else []
        )
        inputs = self._shared_prefill(batch, copies)
        with torch.random.fork_rng(devices=[torch.cuda.current_device()] if self.device == "cuda" else []):
            if seed is not None:
                torch.manual_seed(seed)
            stops = {"tokenizer": self.tokenizer} if params.stop else {}  # to match the stop strings
            output = self.model.generate(**inputs, generation_config=config, logits_processor=processors, **stops)
        return [self._to_generation(row, params.stop) for row in output[:, prompt_length:].tolist()]

    def _shared_prefill(self, batch, copies: int) -> dict:
        """``generate``'s inputs for ``copies`` rows per prompt, with the prompts' KV cache computed once.

        The cache covers all but each prompt's last token, which ``generate`` feeds to get the first
        logits; positions are counted past the left padding, as ``generate`` counts them.
        """
        input_ids = batch["input_ids"].repeat_interleave(copies, dim=0)
        attention_mask = batch["attention_mask"].repeat_interleave(copies, dim=0)
        if copies == 1 or batch["input_ids"].shape[1] < 2:
            return {"input_ids": input_ids, "attention_mask": attention_mask}
        mask = batch["attention_mask"][:, :-1]
        positions = (mask.long().cumsum(-1) - 1).masked_fill(mask == 0, 0)
        cache = DynamicCache(config=self.model.config)
        # The decoder alone: the LM head's logits over the whole prompt (batch x length x vocabulary) are not needed.
        self.model.base_model(
            input_ids=batch["input_ids"][:, :-1],
            attention_mask=mask,
            position_ids=positions,
            past_key_values=cache,
            use_cache=True,
        )
        cache.batch_repeat_interleave(copies)
        return {"input_ids": input_ids, "attention_mask": attention_mask, "past_key_values": cache}

    def _to_generation(self, ids: list[int], stop: tuple[str, ...] = ()) -> Generation:
        end = next((i for i, token in enumerate(ids) if token in self.eos_ids), None)
        if stop:  # a row stopped at a stop string is padded to the batch's length
            while end is None and ids and ids[-1] == self.tokenizer.pad_token_id:
                ids = ids[:-1]
            text = self.tokenizer.decode(ids if end is None else ids[:end], skip_special_tokens=True)
            cut = cut_at_stop(text, stop)
            if cut is not None:
                return Generation(cut[0], len(ids) if end is None else end + 1, "stop", stop_string=cut[1])
        if end is None:
            return Generation(self.tokenizer.decode(ids, skip_special_tokens=True), len(ids), "length")
        return Generation(self.tokenizer.decode(ids[:end], skip_special_tokens=True), end + 1, "stop")


def _eos_ids(model, tokenizer) -> set[int]:
    """Every token that ends a sequence: the generation config's and the tokenizer's eos."""
    configured = model.generation_config.eos_token_id
    ids = set(configured if isinstance(configured, list) else [configured] if configured is not None else [])
    if tokenizer.eos_token_id is not None:
        ids.add(tokenizer.eos_token_id)
    if not ids:
        raise ValueError("the model defines no eos token; sampling could not stop")
    return ids
