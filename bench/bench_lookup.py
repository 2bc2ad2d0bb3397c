"""Can the demo's base architecture learn to look up a name's number in its context?

The demo's solutions copy each chosen team's score from right after the team's
name in the question (``blue 16`` ... ``Teams blue 16``). This trains a freshly
initialised copy of the tiny model (its config and tokenizer, optional
overrides) on that look-up alone: a list of four colours with numbers, then one
colour again, and the loss on its number only. It prints the held-out accuracy
every ``--every`` steps; chance is 25% for a model that only knows the four
numbers. Goal: at least ``--goal`` by the last step.
"""

from __future__ import annotations

import argparse
import random
import sys
import time

import torch
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

COLOURS = ["red", "blue", "green", "yellow", "white", "black", "orange", "purple"]


def lookup_example(rng: random.Random) -> tuple[str, str]:
    colours, numbers = rng.sample(COLOURS, 4), rng.sample(range(2, 21), 4)
    listing = ", ".join(f"{colour} {number}" for colour, number in zip(colours, numbers))
    asked = rng.randrange(4)
    return f"The teams had: {listing}. So {colours[asked]}", f" {numbers[asked]}"


def lookup_batch(tokenizer, rng: random.Random, size: int):
    """Token ids, labels (the asked number only) and attention mask of ``size`` examples."""
    encoded = []
    for context, target in (lookup_example(rng) for _ in range(size)):
        target_ids = tokenizer(target)["input_ids"]
        encoded.append((tokenizer(context)["input_ids"] + target_ids, len(target_ids)))
    length = max(len(ids) for ids, _ in encoded)
    ids = torch.full((size, length), tokenizer.pad_token_id)
    labels = torch.full((size, length), -100)
    for row, (tokens, n_target) in enumerate(encoded):
        ids[row, : len(tokens)] = torch.tensor(tokens)
        labels[row, len(tokens) - n_target : len(tokens)] = torch.tensor(tokens[-n_target:])
    return ids, labels, (ids != tokenizer.pad_token_id).long()


def lookup_accuracy(model, tokenizer, rng: random.Random, size: int = 256) -> float:
    """Share of held-out examples whose first target token is the model's top prediction."""
    ids, labels, mask = lookup_batch(tokenizer, rng, size)
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=mask).logits
    first = (labels != -100).int().argmax(dim=1)
    rows = torch.arange(size)
    return (logits[rows, first - 1].argmax(-1) == labels[rows, first]).float().mean().item()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="results/demo/models/tiny", help="a model folder (config and tokenizer)")
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--every", type=int, default=100)
    parser.add_argument("--goal", type=float, default=0.9)
    parser.add_argument(
        "--set",
        nargs="*",
        default=[],
        metavar="KEY=INT",
        help="config overrides, e.g. num_hidden_layers=2 num_attention_heads=2",
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    config = AutoConfig.from_pretrained(args.model)
    for override in args.set:
        key, value = override.split("=")
        setattr(config, key, int(value))
    config.num_key_value_heads = config.num_attention_heads
    config.head_dim = config.hidden_size // config.num_attention_heads
    model = AutoModelForCausalLM.from_config(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.learning_rate)
    train_rng, test_rng = random.Random(args.seed), random.Random(args.seed + 1)
    print(
        f"layers {config.num_hidden_layers}, hidden {config.hidden_size}, heads {config.num_attention_heads}, "
        f"{sum(p.numel() for p in model.parameters()):,} parameters"
    )
    print("| step | seconds | held-out accuracy |\n|---:|---:|---:|")
    start, accuracy = time.time(), 0.0
    for step in range(1, args.steps + 1):
        ids, labels, mask = lookup_batch(tokenizer, train_rng, args.batch_size)
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % args.every == 0 or step == args.steps:
            accuracy = lookup_accuracy(model, tokenizer, test_rng)
            print(f"| {step} | {time.time() - start:.0f} | {accuracy:.1%} |", flush=True)
    print(
        f"goal: accuracy >= {args.goal:.0%} after {args.steps} steps: {'met' if accuracy >= args.goal else 'NOT met'}"
    )
    return 0 if accuracy >= args.goal else 1


if __name__ == "__main__":
    sys.exit(main())
