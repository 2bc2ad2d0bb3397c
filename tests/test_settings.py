"""One settings parser (stepwise.config.decoding) for every settings dataclass, and defaults from the schema alone."""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from stepwise.config.decoding import config_entries, config_from_entries, settings_from_config
from stepwise.data.prm800k_preprocess import PreprocessSettings
from stepwise.generators.sft_data import GeneratorDataSettings
from stepwise.io import DataError
from stepwise.models.tiny import TinyArchitecture
from stepwise.sampling import SamplingParams
from tests.workflow import DEFAULT_CONFIG, ROOT, snakemake, write_config


@dataclasses.dataclass(frozen=True)
class Example:
    rate: float
    steps: int = 3

    def __post_init__(self):
        if self.steps < 1:
            raise ValueError("steps must be at least 1")


def test_good_config_builds_the_dataclass_and_keeps_defaults():
    assert settings_from_config(Example, {"rate": 0.5}, "x.y") == Example(0.5, 3)
    assert settings_from_config(Example, {"steps": 2}, "x.y", rate=1.0) == Example(1.0, 2)


@pytest.mark.parametrize(
    "values, message",
    [
        ({"rate": 1.0, "stpes": 2}, r"x\.y: unknown key\(s\) \['stpes'\]; valid keys: rate, steps"),
        ({"steps": 2}, r"x\.y: missing key\(s\) \['rate'\]"),
        ({"rate": 1.0, "steps": 0}, r"x\.y: steps must be at least 1"),
        ([1, 2], r"x\.y: expected a mapping"),
    ],
)
def test_bad_config_names_the_section_and_key(values, message):
    with pytest.raises(DataError, match=message):
        settings_from_config(Example, values, "x.y")


@pytest.fixture(scope="module")
def config():
    from snakemake.utils import validate

    loaded = yaml.safe_load(DEFAULT_CONFIG.read_text())
    validate(loaded, str(DEFAULT_CONFIG.parent / "schemas" / "config.schema.yaml"))
    return loaded


def test_every_config_section_parses_with_the_one_parser(config):
    from stepwise.training.prm_config import PRMSettings
    from stepwise.training.sft import SFTSettings
    from stepwise.training.verifier_config import VerifierSettings

    for task in ("gsm8k", "math"):
        settings_from_config(SFTSettings, config[task]["sft"], f"{task}.sft")
    settings_from_config(VerifierSettings, config["gsm8k"]["verifier"], "gsm8k.verifier")
    settings_from_config(VerifierSettings, config["math"]["orm"], "math.orm")
    settings_from_config(PRMSettings, {**config["prm800k"]["prm"], "neutral": "positive"}, "prm800k.prm")
    settings_from_config(PRMSettings, config["shepherd"]["prm"], "shepherd.prm")
    settings_from_config(
        TinyArchitecture, {k: v for k, v in config["model"]["tiny"].items() if k != "seed"}, "model.tiny"
    )
    GeneratorDataSettings.from_config(config["math"]["generator_data"])
    PreprocessSettings.from_config(config["prm800k"]["preprocess"])
    for task, section in (
        ("gsm8k", "verifier_samples"),
        ("gsm8k", "test_samples"),
        ("math", "train_samples"),
        ("math", "test_samples"),
    ):
        SamplingParams.from_config(config[task][section], calculator_notation="gsm8k")
    with pytest.raises(DataError, match=r"sample set: unknown key\(s\) \['temprature'\]"):
        SamplingParams.from_config({"n": 2, "temprature": 0.5}, calculator_notation="gsm8k")


def _schema_defaults(section: dict) -> dict:
    return {key: spec["default"] for key, spec in section.get("properties", {}).items() if "default" in spec}


def test_dataclass_defaults_agree_with_the_schema():
    """Where a settings dataclass keeps a default (for library callers), it is the schema's: one source."""
    from stepwise.training.prm_config import PRMSettings
    from stepwise.training.sft import SFTSettings
    from stepwise.training.verifier_config import VerifierSettings

    schema = yaml.safe_load((DEFAULT_CONFIG.parent / "schemas" / "config.schema.yaml").read_text())
    defs, top = schema["$defs"], schema["properties"]

    def section(spec):
        merged = dict(spec)
        for part in spec.get("allOf", []) + ([spec] if "$ref" in spec else []):
            if "$ref" in part:
                referenced = section(defs[part["$ref"].rsplit("/", 1)[1]])
                merged["properties"] = {**referenced.get("properties", {}), **merged.get("properties", {})}
        return merged

    checks = [
        (SFTSettings, section(defs["sft"])),
        (VerifierSettings, section(defs["verifier"])),
        (PRMSettings, section(defs["prm"])),
        (TinyArchitecture, top["model"]["properties"]["tiny"]),
        (GeneratorDataSettings, top["math"]["properties"]["generator_data"]),
        (PreprocessSettings, top["prm800k"]["properties"]["preprocess"]),
    ]
    mismatches = []
    for cls, spec in checks:
        defaults = _schema_defaults(section(spec))
        for field in dataclasses.fields(cls):
            if field.name in defaults and field.default is not dataclasses.MISSING:
                value = list(field.default) if isinstance(field.default, tuple) else field.default
                if value != defaults[field.name]:
                    mismatches.append(
                        f"{cls.__name__}.{field.name}: dataclass {value!r}, schema {defaults[field.name]!r}"
                    )
    assert not mismatches, mismatches


def test_a_sample_set_sets_every_sampling_parameter():
    """SamplingParams mirrors vLLM's defaults for library callers (seed None: unseeded); a sample set of the
    config names or defaults every one of its parameters, so those defaults never reach a workflow job."""
    schema = yaml.safe_load((DEFAULT_CONFIG.parent / "schemas" / "config.schema.yaml").read_text())
    sample_set = schema["$defs"]["sampling_run"]
    set_by_config = set(sample_set["required"]) | set(_schema_defaults(sample_set))
    # The task sets the calculator's notation, the generator folder its stop strings and answer end
    # (stepwise.generators.prompting).
    parameters = {field.name for field in dataclasses.fields(SamplingParams)} - {
        "calculator_notation",
        "stop",
        "end_after_answer",
    }
    assert parameters <= set_by_config, parameters - set_by_config


def test_the_search_settings_are_the_search_sections_keys():
    """Each field of a search job's settings is a key of the config's ``search`` section, required or with its
    default in the schema, and the job reads exactly those keys (no list of them kept beside the dataclass)."""
    from snakemake.utils import validate

    from stepwise.config.job_settings import SEARCH_KEYS, search
    from stepwise.search.settings import SearchSettings

    schema = yaml.safe_load((DEFAULT_CONFIG.parent / "schemas" / "config.schema.yaml").read_text())
    section = schema["properties"]["search"]
    fields = {field.name for field in dataclasses.fields(SearchSettings)}
    assert fields <= set(section.get("required", [])) | set(_schema_defaults(section)), fields
    assert set(SEARCH_KEYS) == fields - {"problems"}
    config = yaml.safe_load(DEFAULT_CONFIG.read_text())
    validate(config, str(DEFAULT_CONFIG.parent / "schemas" / "config.schema.yaml"))  # fills the defaults
    assert set(search(config, "math")["search"]) == fields
    SearchSettings.from_settings(search(config, "math")["search"])


# ---------------------------------------------------------------- the run's config, one entry per key


@pytest.mark.parametrize("path", [DEFAULT_CONFIG, *sorted((ROOT / "configs").glob("*.yaml"))], ids=lambda p: p.name)
def test_config_entries_give_back_the_config(path):
    config = yaml.safe_load(path.read_text())
    entries = config_entries(config)
    assert len(entries) == len(set(entries)) and config_from_entries(entries) == config


def test_config_entries_name_a_key_they_cannot_write():
    with pytest.raises(DataError, match="config key gsm8k.'a.b'"):
        config_entries({"gsm8k": {"a.b": 1}})
    with pytest.raises(DataError, match="expected dotted.key=<JSON value>"):
        config_from_entries(["gsm8k.sft.epochs"])


def test_a_config_change_is_named_by_its_key_in_the_rerun_reason(tmp_path):
    write_config(tmp_path)
    snakemake(tmp_path, "--cores", "1", "results/demo/config.yaml")
    written = yaml.safe_load((tmp_path / "results/demo/config.yaml").read_text())
    assert written["gsm8k"]["sft"]["epochs"] == 3 and written["replicates"] == 1
    write_config(tmp_path, {"gsm8k": {"sft": {"epochs": 2}}})
    dry = snakemake(tmp_path, "-n", "results/demo/config.yaml").stdout
    assert "before: 'gsm8k.sft.epochs=3' now: 'gsm8k.sft.epochs=2'" in dry, dry
    assert "claims" not in dry and len(dry) < 3000
