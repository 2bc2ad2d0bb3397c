"""Answers, calculator and steps on the real GSM8K and MATH-500 files (../shared/data)."""

import time
from fractions import Fraction

import pytest

from stepwise.answers import AnswerChecker, extract_boxed, extract_hash_answer, gsm8k_equal, parse_gsm8k_number
from stepwise.calculator import CalculatorError, annotation_is_correct, evaluate, find_annotations
from stepwise.formats.steps import join_steps, split_steps
from stepwise.io import read_jsonl

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def gsm8k(shared_data):
    return {split: read_jsonl(shared_data / "gsm8k" / f"{split}.jsonl") for split in ("train", "test")}


@pytest.fixture(scope="module")
def math500(shared_data):
    return read_jsonl(shared_data / "math500" / "test.jsonl")


@pytest.mark.parametrize("split, size", [("train", 7473), ("test", 1319)])
def test_gsm8k_gold_answers_extract_and_check_equal(gsm8k, split, size):
    rows = gsm8k[split]
    assert len(rows) == size
    for row in rows:
        answer = extract_hash_answer(row["answer"])
        assert answer is not None, row["answer"][-80:]
        # Independent reading: GSM8K gold answers are plain numbers with optional commas.
        assert parse_gsm8k_number(answer) == Fraction(answer.replace(",", "")), answer
        assert gsm8k_equal(answer, answer)


@pytest.mark.parametrize("split", ["train", "test"])
def test_calculator_reproduces_gsm8k_annotations(gsm8k, split):
    total = reproduced = refused = 0
    failures = []
    for row in gsm8k[split]:
        annotations = find_annotations(row["answer"])
        assert len(annotations) == row["answer"].count("<<"), row["answer"]  # none missed
        for annotation in annotations:
            total += 1
            try:
                evaluate(annotation.expr)
            except CalculatorError as err:
                refused += 1
                failures.append(("refused", annotation.expr, str(err)))
                continue
            if annotation_is_correct(annotation.expr, annotation.stated_result):
                reproduced += 1
            else:
                failures.append(("differs", annotation.expr, annotation.stated_result))
    print(f"\nGSM8K {split}: {reproduced}/{total} annotations reproduced, {refused} refused; failures: {failures[:20]}")
    assert total > (20_000 if split == "train" else 4_000)
    assert reproduced >= 0.995 * total
    # Every GSM8K annotation is plain arithmetic (digits, . + - * / and
    # parentheses), so none may be refused.
    assert refused == 0


@pytest.mark.parametrize("split", ["train", "test"])
def test_gsm8k_solutions_split_into_lines_and_join_back(gsm8k, split):
    for row in gsm8k[split]:
        solution = row["answer"]
        steps = split_steps(solution, "gsm8k")
        assert join_steps(steps) == solution
        assert steps[-1].startswith("#### ")
        assert len(steps) == sum(1 for line in solution.split("\n") if line.strip())


def test_math500_boxed_answers_check_equal(math500):
    assert len(math500) == 500
    boxed = [extract_boxed(row["solution"]) for row in math500]
    assert None not in boxed
    with AnswerChecker(kind="math", workers=2, timeout_s=10) as checker:
        start = time.perf_counter()
        verdicts = checker.check_many([(answer, row["answer"]) for answer, row in zip(boxed, math500)])
        seconds = time.perf_counter() - start
        print(f"\nMATH-500 boxed vs answer: {sum(verdicts)}/500 in {seconds:.1f} s, {checker.stats}")
    assert [row["unique_id"] for row, ok in zip(math500, verdicts) if not ok] == []


def test_math500_answers_equal_themselves_through_math_verify(math500):
    """With the fast path off, every gold answer goes through the wrapping,
    math-verify's parser and the restricted workers, and must equal itself."""
    pairs = [(row["answer"], row["answer"]) for row in math500]
    with AnswerChecker(kind="math", workers=2, timeout_s=10, fast_path=False) as checker:
        checker.equal("1", "1")  # start the pool outside the timing
        start = time.perf_counter()
        verdicts = checker.check_many(pairs)
        seconds = time.perf_counter() - start
        print(f"\nMATH-500 answer vs itself via math-verify: {sum(verdicts)}/500 in {seconds:.1f} s, {checker.stats}")
        assert checker.stats.timeouts == 0 and checker.stats.errors == 0
    assert [row["answer"] for row, ok in zip(math500, verdicts) if not ok] == []


def test_free_form_extraction_of_the_real_solutions(gsm8k, math500):
    """Read the free-form way (as an off-the-shelf model's text would be), MATH-500's reference solutions give
    their answers and GSM8K's test solutions their final answers."""
    with AnswerChecker(kind="math", workers=2, timeout_s=10) as checker:
        answers = checker.extract_many([row["solution"] for row in math500])
        verdicts = checker.check_many([(answer, row["answer"]) for answer, row in zip(answers, math500)])
        print(f"\nMATH-500 free-form: {sum(verdicts)}/500, {checker.stats}")
    failed = [
        (row["unique_id"], answer, row["answer"]) for row, answer, ok in zip(math500, answers, verdicts) if not ok
    ]
    assert len(failed) <= 5, failed  # the boxed answer itself: only the boxes that read differently alone
    rows = gsm8k["test"]
    with AnswerChecker(kind="gsm8k") as checker:
        answers = checker.extract_many([row["answer"] for row in rows])
        verdicts = checker.check_many(
            [(answer, extract_hash_answer(row["answer"])) for answer, row in zip(answers, rows)]
        )
    assert [row["answer"][-60:] for row, ok in zip(rows, verdicts) if not ok] == []
