"""Sampling solutions: one interface over vLLM and transformers, the GSM8K
calculator inside sampling, and sharded sample records.

Backends import lazily: ``import stepwise.sampling`` never imports vLLM.
"""

from stepwise.sampling.base import Generation, Sampler, SamplingParams
from stepwise.sampling.factory import make_sampler, sampler_from_config
from stepwise.sampling.shards import Problem, merge_shards, sample_records, sample_shard, shard_slice

__all__ = [
    "Generation",
    "Problem",
    "Sampler",
    "SamplingParams",
    "make_sampler",
    "sampler_from_config",
    "merge_shards",
    "sample_records",
    "sample_shard",
    "shard_slice",
]
