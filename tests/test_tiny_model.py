"""The demo's tokenizer: numbers tokenize the same wherever they stand."""

import pytest

from stepwise.models.tiny import train_tokenizer

CORPUS = [
    f"She buys {a} pens at ${b} each. {a}*{b} = <<{a}*{b}={a * b}>>{a * b} dollars.\n#### {a * b}"
    for a in range(2, 20)
    for b in range(2, 20)
]


@pytest.mark.parametrize("split_digits", [True, False])
def test_a_number_tokenizes_alike_in_context_and_alone(split_digits):
    tokenizer = train_tokenizer(CORPUS * 3, vocab_size=400, split_digits=split_digits)
    prefix = "She buys 7 pens at $15 each. 7*15 = <<7*15="
    text = prefix + "105>>105 dollars."
    # The calculator forces "105>>" after "=": it must be the tokens the model would write itself.
    before, forced = tokenizer.tokenize(prefix), tokenizer.tokenize("105>>")
    assert tokenizer.tokenize(text)[: len(before) + len(forced)] == before + forced
    assert tokenizer.decode(tokenizer(text)["input_ids"]) == text


def test_split_digits_decides_whether_numbers_are_single_tokens():
    merged = train_tokenizer(CORPUS * 3, vocab_size=400, split_digits=False)
    split = train_tokenizer(CORPUS * 3, vocab_size=400, split_digits=True)
    assert merged.tokenize("15") == ["15"]
    # A quantity keeps its leading space, so the solution copies it after the same word as in the question.
    assert merged.tokenize("She buys 15 pens")[-2:] == ["Ġ15", "Ġpens"]
    assert split.tokenize("She buys 15 pens")[-4:] == ["Ġ", "1", "5", "Ġpens"]
    assert split.tokenize("15") == ["1", "5"]
    assert all(len(token) == 1 for token in split.tokenize("12*15=180") if token.isdigit())


def test_the_base_model_pointer_is_relative_inside_the_working_directory(tmp_path, monkeypatch):
    import json

    from stepwise.models.resolve import read_model_pointer, write_model_pointer

    model = tmp_path / "results" / "demo" / "models" / "tiny"
    model.mkdir(parents=True)
    (model / "config.json").write_text("{}")
    (model / "model.safetensors").write_bytes(b"")
    monkeypatch.chdir(tmp_path)
    write_model_pointer(model, "inside.json")
    assert json.loads((tmp_path / "inside.json").read_text()) == {"path": "results/demo/models/tiny"}
    assert read_model_pointer("inside.json") == model.relative_to(tmp_path)
    monkeypatch.chdir(model)  # a folder outside the working directory stays absolute
    write_model_pointer(tmp_path / "results", tmp_path / "outside.json")
    assert json.loads((tmp_path / "outside.json").read_text()) == {"path": str((tmp_path / "results").resolve())}
