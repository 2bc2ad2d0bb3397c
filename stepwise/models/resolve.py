"""Resolve the configured base model to a local Hugging Face model folder.

``model.base`` in the config is either ``tiny`` (the demo's model, built by the
workflow), a local folder, or a Hugging Face hub id. Every later stage loads the
resolved folder, so the demo and a pretrained model take the same code path.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from stepwise.io import atomic_output

log = logging.getLogger(__name__)

REQUIRED_FILES = ("config.json",)


class ModelNotFoundError(RuntimeError):
    """The base model is neither a usable local folder nor downloadable."""


def check_model_folder(path: str | os.PathLike) -> Path:
    """Return ``path`` if it looks like an HF model folder (config.json and weights), else raise."""
    folder = Path(path)
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    has_weights = any(folder.glob("*.safetensors")) or any(folder.glob("*.bin"))
    if missing or not has_weights:
        what = ", ".join(missing + ([] if has_weights else ["*.safetensors or *.bin weights"]))
        raise ModelNotFoundError(f"{folder} is not a Hugging Face model folder: missing {what}")
    return folder


def resolve_model(name: str, revision: str | None = None, key: str = "model.base") -> Path:
    """A local folder for ``name`` (a folder path or a hub id), downloading it if needed; ``key`` is the
    config key that named it (for the error message)."""
    if Path(name).exists():
        return check_model_folder(name).resolve()
    from huggingface_hub import HfApi, snapshot_download

    try:
        files = HfApi().list_repo_files(name, revision=revision)
        # One copy of the weights: safetensors where the repository has them, else PyTorch .bin files.
        weights = "*.safetensors" if any(f.endswith(".safetensors") for f in files) else "*.bin"
        folder = snapshot_download(
            name,
            revision=revision,
            allow_patterns=["*.json", weights, "*.model", "*.txt", "*.py", "*.jinja", "*.tiktoken"],
        )
    except Exception as err:  # offline, unknown id, gated repo...: all end the same way
        raise ModelNotFoundError(
            f"{key} = {name!r}: not a local folder and it could not be downloaded from the "
            f"Hugging Face hub ({type(err).__name__}: {err}). On a machine without internet, download "
            f"it where there is (e.g. `hf download {name} --local-dir /models/{name}`), copy it here and "
            f"set {key} to that folder in the config."
        ) from err
    return check_model_folder(folder)


def write_model_pointer(folder: str | os.PathLike, out: str | os.PathLike) -> None:
    """Record the resolved base-model folder for later rules (a small JSON file).

    A folder inside the working directory (the demo's tiny model under
    ``results/``) is recorded relative to it, so that the file is the same in
    every clone of the workflow; any other folder (a hub cache) as an absolute path.
    """
    path = Path(folder).resolve()
    if path.is_relative_to(Path.cwd().resolve()):
        path = path.relative_to(Path.cwd().resolve())
    with atomic_output(out) as handle:
        json.dump({"path": str(path)}, handle)
        handle.write("\n")
    log.info("base model: %s", folder)


def read_model_pointer(pointer: str | os.PathLike) -> Path:
    """The model folder recorded by :func:`write_model_pointer`."""
    with open(pointer, encoding="utf-8") as handle:
        return check_model_folder(json.load(handle)["path"])
