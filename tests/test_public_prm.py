"""Public PRMs as scorers: each convention's adapter against scores computed here by hand.

For every convention a tiny model in that convention is built offline (tests/public_prm_fixtures.py). The
expected scores come from the model cards' recipes written out in this file: the input as a
hand-written string (or, for TRL's trainer, its piecewise ids), the positions found by searching
the token ids, one plain forward pass of the Hugging Face model, and the card's reading of the
logits there. Long solutions are checked against forward passes over hand-cut windows.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

from stepwise.io import DataError
from stepwise.scoring.public_prm import PublicPRM
from stepwise.scoring.public_prm_settings import FORMATS, QWEN_SYSTEM_PROMPT, PublicPRMSettings
from tests.public_prm_fixtures import build_chat_turns_prm, build_step_tag_prm, build_token_classification_prm
from tests.workflow import ROOT

PROBLEMS = ["Janet has 16 eggs and eats 3. How many are left?", "What is 7 times 8?", "Tom has 5 apples."]
SOLUTIONS = [
    ["16 - 3 = 13", "She has 13 eggs left.", "The answer is \\boxed{13}."],
    ["7 times 8 is 56."],
    ["5 + 2 = 7", "7 - 1 = 6", "6 + 4 = 10", "So 10."],
]
# A solution far longer than the windows of the long-solution tests (max_length below).
LONG_PROBLEM = "Add the numbers one by one: " + " + ".join(str(n) for n in range(2, 30))
LONG_STEPS = [f"{a} + {a + 1} = {2 * a + 1}, and we carry on with the next one" for a in range(2, 16)]


def entry(folder, convention, **extra):
    return {
        "name": "public",
        "kind": "public_prm",
        "tasks": ["math"],
        "model": str(folder),
        "convention": convention,
        **extra,
    }


def load(folder, convention, **extra) -> PublicPRM:
    return PublicPRM.load(PublicPRMSettings.from_entry(entry(folder, convention, **extra)))


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("public_prms")
    return {
        "step_tag": build_step_tag_prm(root / "step_tag"),
        "token_classification": build_token_classification_prm(root / "token_classification"),
        "remote": build_token_classification_prm(root / "remote", remote_code=True),
        "chat_turns": build_chat_turns_prm(root / "chat_turns"),
    }


def tokenizer_of(folder):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(folder)


def causal_lm(folder):
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()


def token_classifier(folder):
    from transformers import AutoModelForTokenClassification

    return AutoModelForTokenClassification.from_pretrained(folder, dtype=torch.float32).eval()


def positions_of(ids, token_id):
    return [i for i, token in enumerate(ids) if token == token_id]


@torch.no_grad()
def label_probability(lm, ids, positions, label_ids):
    """P(first label) against the second from the LM's next-token logits at ``positions``: the cards' reading."""
    logits = lm(torch.tensor([ids])).logits[0]
    return logits[positions][:, label_ids].softmax(dim=-1)[:, 0].tolist()


@torch.no_grad()
def positive_probability(classifier, ids, positions, positive=1):
    return classifier(torch.tensor([ids])).logits[0][positions].softmax(dim=-1)[:, positive].tolist()


# ---------------------------------------------------------------- hand-built inputs, per the model cards


def math_shepherd_input(tokenizer, problem, steps):
    """peiyi9979/math-shepherd-mistral-7b-prm's card: the question, a space, "Step k: ... ки" lines."""
    text = f"{problem} " + "\n".join(f"Step {k}: {step} ки" for k, step in enumerate(steps, 1))
    ids = tokenizer.encode(text)
    return ids, positions_of(ids, tokenizer.encode("ки", add_special_tokens=False)[-1])


def qwen_input(tokenizer, problem, steps):
    """Qwen2.5-Math-PRM-7B's card, its chat as ChatML by hand: steps joined by <extra_0>, one after the last."""
    text = (
        f"<|im_start|>system\n{QWEN_SYSTEM_PROMPT}<|im_end|>\n<|im_start|>user\n{problem}<|im_end|>\n"
        f"<|im_start|>assistant\n{'<extra_0>'.join(steps)}<extra_0><|im_end|>\n"
    )
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    return ids, positions_of(ids, tokenizer.convert_tokens_to_ids("<extra_0>"))


def trl_input(tokenizer, problem, steps, separator):
    """TRL's PRM trainer: bos, the prompt's ids, each step's ids followed by the separator's; read at its last token."""
    ids = [tokenizer.bos_token_id] + tokenizer(problem, add_special_tokens=False)["input_ids"]
    positions = []
    for step in steps:
        ids += (
            tokenizer(step, add_special_tokens=False)["input_ids"]
            + tokenizer(separator, add_special_tokens=False)["input_ids"]
        )
        positions.append(len(ids) - 1)
    return ids, positions


def rlhflow_prefix(problem, steps, upto):
    """RLHFlow's card, one step at a time: the conversation up to step ``upto`` with every answer "+",
    in the Llama-3 layout written out by hand; the card reads the logits at position -3."""
    turns = [f"{problem} {steps[0]}", *steps[1 : upto + 1]]
    return "<|begin_of_text|>" + "".join(
        f"<|start_header_id|>user<|end_header_id|>\n\n{turn}<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n+<|eot_id|>"
        for turn in turns
    )


# ---------------------------------------------------------------- each convention, solutions that fit


def test_step_tag_reads_math_shepherds_tags(models):
    folder = models["step_tag"]
    tokenizer, lm = tokenizer_of(folder), causal_lm(folder)
    label_ids = tokenizer.encode("+ -", add_special_tokens=False)
    expected = []
    for problem, steps in zip(PROBLEMS, SOLUTIONS):
        ids, positions = math_shepherd_input(tokenizer, problem, steps)
        assert len(positions) == len(steps)
        expected.append(label_probability(lm, ids, positions, label_ids))
    scores = load(folder, "step_tag", dtype="float32").score(PROBLEMS, SOLUTIONS)
    for got, want in zip(scores, expected, strict=True):
        assert got == pytest.approx(want, abs=1e-5)
    assert len({round(s, 4) for row in scores for s in row}) > 3  # the scores differ: positions matter


def test_token_classification_reads_qwens_separators(models):
    folder = models["token_classification"]
    tokenizer, classifier = tokenizer_of(folder), token_classifier(folder)
    expected = []
    for problem, steps in zip(PROBLEMS, SOLUTIONS):
        ids, positions = qwen_input(tokenizer, problem, steps)
        assert len(positions) == len(steps)
        expected.append(positive_probability(classifier, ids, positions))
    scores = load(folder, "token_classification", dtype="float32").score(PROBLEMS, SOLUTIONS)
    for got, want in zip(scores, expected, strict=True):
        assert got == pytest.approx(want, abs=1e-5)
    # The other class, by config: one minus the positive one.
    other = load(folder, "token_classification", format={"positive_label": 0}).score(PROBLEMS, SOLUTIONS)
    for got, want in zip(other, expected, strict=True):
        assert got == pytest.approx([1 - p for p in want], abs=1e-5)


def test_token_classification_without_a_chat_template_reads_as_trl_trains(models):
    folder = models["token_classification"]
    tokenizer, classifier = tokenizer_of(folder), token_classifier(folder)
    fmt = {"chat_template": False, "separator": "\n"}
    expected = [
        positive_probability(classifier, *trl_input(tokenizer, problem, steps, "\n"))
        for problem, steps in zip(PROBLEMS, SOLUTIONS)
    ]
    scores = load(folder, "token_classification", format=fmt).score(PROBLEMS, SOLUTIONS)
    for got, want in zip(scores, expected, strict=True):
        assert got == pytest.approx(want, abs=1e-5)


def test_remote_code_loads_only_when_the_scorer_allows_it(models):
    folder = models["remote"]
    with pytest.raises(DataError, match="trust_remote_code: true"):
        load(folder, "token_classification", format={"model_class": "auto"})
    scorer = load(folder, "token_classification", format={"model_class": "auto"}, trust_remote_code=True)
    assert type(scorer.reader.model).__name__ == "TinyRemoteProcessRewardModel"  # the folder's own class
    classifier = token_classifier(folder)  # the same weights under transformers' own class
    expected = [
        positive_probability(classifier, *qwen_input(tokenizer_of(folder), problem, steps))
        for problem, steps in zip(PROBLEMS, SOLUTIONS)
    ]
    for got, want in zip(scorer.score(PROBLEMS, SOLUTIONS), expected, strict=True):
        assert got == pytest.approx(want, abs=1e-5)


def test_chat_turns_reads_rlhflows_answers_in_one_pass(models):
    folder = models["chat_turns"]
    tokenizer, lm = tokenizer_of(folder), causal_lm(folder)
    label_ids = [tokenizer.convert_tokens_to_ids("+"), tokenizer.convert_tokens_to_ids("-")]
    expected = []
    for problem, steps in zip(PROBLEMS, SOLUTIONS):
        row = []
        for upto in range(len(steps)):  # one forward pass per step, as the card's loop
            ids = tokenizer(rlhflow_prefix(problem, steps, upto), add_special_tokens=False)["input_ids"]
            row += label_probability(lm, ids, [len(ids) - 3], label_ids)
        expected.append(row)
    scores = load(folder, "chat_turns").score(PROBLEMS, SOLUTIONS)
    for got, want in zip(scores, expected, strict=True):
        assert got == pytest.approx(want, abs=1e-5)


def test_texts_are_split_in_the_tasks_step_format(models):
    scorer = load(models["step_tag"], "step_tag")
    as_text = scorer.score(PROBLEMS[:1], ["\n".join(SOLUTIONS[0])], step_format="prm800k")
    assert as_text[0] == pytest.approx(scorer.score(PROBLEMS[:1], SOLUTIONS[:1])[0], abs=1e-6)


# ---------------------------------------------------------------- solutions longer than the window


def hand_windows(positions, max_length):
    """Windows as the workflow's PRM cuts them: from the first step not yet scored, the farthest later
    step within max_length tokens of it; the window ends there and reaches max_length tokens back."""
    windows, first = [], 0
    while first < len(positions):
        last = max(j for j in range(first, len(positions)) if positions[j] - positions[first] < max_length)
        end = positions[last] + 1
        windows.append((max(0, end - max_length), end, list(range(first, last + 1))))
        first = last + 1
    return windows


def windowed_expected(ids, positions, max_length, read):
    """Each step's score from a forward pass over its hand-cut window (``read(window_ids, window_positions)``)."""
    expected = [None] * len(positions)
    windows = hand_windows(positions, max_length)
    assert len(windows) > 1 and windows[-1][0] > 0  # the test is about a solution that does not fit
    for start, end, steps in windows:
        values = read(ids[start:end], [positions[k] - start for k in steps])
        for k, value in zip(steps, values, strict=True):
            expected[k] = value
    return expected


@pytest.mark.parametrize("convention", ["step_tag", "token_classification", "chat_turns"])
def test_a_solution_longer_than_the_window(models, convention):
    folder, max_length = models[convention], 160  # the long solution needs 2-3 windows, the others fit
    tokenizer = tokenizer_of(folder)
    if convention == "step_tag":
        lm = causal_lm(folder)
        ids, positions = math_shepherd_input(tokenizer, LONG_PROBLEM, LONG_STEPS)
        labels = tokenizer.encode("+ -", add_special_tokens=False)
        read = lambda window, at: label_probability(lm, window, at, labels)  # noqa: E731
    elif convention == "token_classification":
        classifier = token_classifier(folder)
        ids, positions = qwen_input(tokenizer, LONG_PROBLEM, LONG_STEPS)
        read = lambda window, at: positive_probability(classifier, window, at)  # noqa: E731
    else:
        lm = causal_lm(folder)
        text = rlhflow_prefix(LONG_PROBLEM, LONG_STEPS, len(LONG_STEPS) - 1)
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        positions = [
            i - 1
            for i in positions_of(ids, tokenizer.convert_tokens_to_ids("+"))
            if ids[i - 1] != tokenizer.convert_tokens_to_ids("<|end_header_id|>")
        ]
        positions = [p for p in positions if ids[p + 2] == tokenizer.convert_tokens_to_ids("<|eot_id|>")]
        assert len(positions) == len(LONG_STEPS)
        labels = [tokenizer.convert_tokens_to_ids("+"), tokenizer.convert_tokens_to_ids("-")]
        read = lambda window, at: label_probability(lm, window, at, labels)  # noqa: E731
    expected = windowed_expected(ids, positions, max_length, read)
    scorer = load(folder, convention, max_length=max_length, batch_size=3)
    got = scorer.score([LONG_PROBLEM, *PROBLEMS], [LONG_STEPS, *SOLUTIONS])
    assert got[0] == pytest.approx(expected, abs=1e-5)
    # The short solutions in the same batches score as they do with room to spare.
    assert got[1:] == [pytest.approx(row, abs=1e-5) for row in load(folder, convention).score(PROBLEMS, SOLUTIONS)]


# ---------------------------------------------------------------- bad input, bad config


def test_a_step_holding_the_tag_is_an_error_naming_the_solution(models):
    scorer = load(models["step_tag"], "step_tag")
    with pytest.raises(DataError, match=r"scorers: public: solution 1: 3 step tag 'ки' tokens .* 2 steps"):
        scorer.score(PROBLEMS[:2], [SOLUTIONS[0], ["one ки", "two"]])


def test_a_chat_convention_needs_a_chat_template(models):
    scorer = load(models["step_tag"], "chat_turns")
    with pytest.raises(DataError, match="no chat template"):
        scorer.score(PROBLEMS[:1], SOLUTIONS[:1])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"convention": "guess"}, "convention 'guess' is not one of step_tag, token_classification, chat_turns"),
        (
            {"format": {"separator": "\n"}},
            r"format key\(s\) \['separator'\] are not settings of the step_tag convention",
        ),
        ({"format": {"step": "Step: {text}"}}, r"format.step 'Step: \{text\}' must use \{step\}"),
        ({"format": {"text": "{problem}"}}, r"format.text '\{problem\}' must use \{problem\}, \{steps\}"),
        ({"format": {"labels": ["+", "+"]}}, "format.labels must be two different tokens"),
        ({"dtype": "int8"}, "dtype 'int8' is not auto or one of"),
        ({"batch_size": 0}, "batch_size must be a positive integer"),
        ({"revison": "main"}, r"unknown key\(s\) \['revison'\]"),
    ],
)
def test_bad_settings_name_the_key(changes, message):
    with pytest.raises(ValueError, match=message):
        PublicPRMSettings.from_entry({**entry("some/model", "step_tag"), **changes})


def test_defaults_are_the_reference_models_settings():
    settings = PublicPRMSettings.from_entry(entry("peiyi9979/math-shepherd-mistral-7b-prm", "step_tag"))
    assert settings.format == FORMATS["step_tag"] and settings.format["tag"] == "ки"
    qwen = PublicPRMSettings.from_entry(
        entry(
            "Qwen/Qwen2.5-Math-PRM-7B", "token_classification", format={"model_class": "auto"}, trust_remote_code=True
        )
    )
    assert qwen.format["separator"] == "<extra_0>" and qwen.format["system_prompt"] == QWEN_SYSTEM_PROMPT
    assert qwen.trust_remote_code and qwen.dtype == "auto" and qwen.max_length is None


def test_a_missing_model_offline_fails_as_a_missing_base_model_does(tmp_path):
    """Run offline in a fresh process (the hub's offline switch is read at import)."""
    code = (
        "from stepwise.models.resolve import resolve_model\n"
        "from stepwise.scoring.public_prm_settings import PublicPRMSettings\n"
        "from stepwise.scoring.public_prm import PublicPRM\n"
        "for call in (lambda: resolve_model('nobody-here/no-such-model'),\n"
        "             lambda: PublicPRM.load(PublicPRMSettings.from_entry({'name': 'shepherd', 'model':\n"
        "                 'nobody-here/no-such-model', 'convention': 'step_tag'}))):\n"
        "    try:\n"
        "        call()\n"
        "    except Exception as err:\n"
        "        print(type(err).__name__, '|', str(err).split(' (')[0], '|', 'set' in str(err))\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path
    )
    lines = out.stdout.splitlines()
    assert lines == [
        "ModelNotFoundError | model.base = 'nobody-here/no-such-model': not a local folder and it could not be "
        "downloaded from the Hugging Face hub | True",
        "ModelNotFoundError | scorers: shepherd: model = 'nobody-here/no-such-model': not a local folder and it "
        "could not be downloaded from the Hugging Face hub | True",
    ], out.stderr
