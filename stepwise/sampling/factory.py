"""Choosing and starting a sampling backend."""

from __future__ import annotations

import logging
import os
from typing import Any, Literal

from stepwise.sampling.base import Sampler

log = logging.getLogger(__name__)

Backend = Literal["auto", "vllm", "hf"]


def make_sampler(
    backend: Backend,
    model_dir: str | os.PathLike,
    *,
    batch_size: int | None = None,
    dtype: str = "auto",
    max_model_len: int | None = None,
    **vllm_kwargs: Any,
) -> Sampler:
    """A sampler for the model folder ``model_dir``.

    ``"auto"`` uses vLLM when it imports and its engine starts, else transformers
    (``"hf"``), and logs which and why. ``batch_size`` is the number of sequences
    decoded together (vLLM's ``max_num_seqs``; None: the backend's default).
    ``dtype="auto"`` keeps the checkpoint's dtype in transformers, while vLLM on
    a CPU computes a float32 checkpoint in bfloat16: pass ``"float32"`` for the
    two backends to agree token for token.
    ``vllm_kwargs`` only concern vLLM and go to
    :class:`~stepwise.sampling.vllm_backend.VLLMSampler`, which sets their defaults:
    ``tensor_parallel_size``, ``gpu_memory_utilization`` (on a CPU: the fraction of
    RAM vLLM reserves) and engine arguments (e.g. ``enforce_eager=True``).
    Call it under ``if __name__ == "__main__":`` when vLLM may start.
    """
    if backend not in ("auto", "vllm", "hf"):
        raise ValueError(f"unknown sampling backend {backend!r}; choose auto, vllm or hf")
    if backend != "hf":
        try:
            return _start_vllm(
                model_dir, batch_size=batch_size, dtype=dtype, max_model_len=max_model_len, **vllm_kwargs
            )
        except Exception as err:  # vLLM fails in many ways (import, platform, memory)
            if backend == "vllm":
                raise
            log.warning("sampling backend auto: vLLM not used (%s: %s); using transformers", type(err).__name__, err)
    from stepwise.sampling.hf_backend import HFSampler

    sampler = HFSampler(model_dir, batch_size=batch_size, dtype=dtype, max_model_len=max_model_len)
    log.info("sampling backend: hf (transformers generate)")
    return sampler


def sampler_from_config(sampling: dict[str, Any], model_dir: str | os.PathLike, gpus: int = 0) -> Sampler:
    """:func:`make_sampler` from the config's ``sampling`` section, for a job with ``gpus`` GPUs
    (vLLM's tensor parallel size)."""
    return make_sampler(
        sampling.get("backend", "auto"),
        model_dir,
        tensor_parallel_size=max(gpus, 1),
        gpu_memory_utilization=sampling.get("gpu_memory_utilization", 0.3),
        batch_size=sampling.get("batch_size"),
        max_model_len=sampling.get("max_model_len"),
    )


def _start_vllm(model_dir: str | os.PathLike, **kwargs: Any) -> Sampler:
    from stepwise.sampling.vllm_backend import VLLMSampler

    sampler = VLLMSampler(model_dir, **kwargs)
    log.info("sampling backend: vllm")
    return sampler
