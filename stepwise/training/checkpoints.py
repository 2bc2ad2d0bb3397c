"""Training checkpoints that outlive a killed or restarted workflow job.

Snakemake deletes a job's output folder before it runs the job again, so a
training rule keeps its checkpoints in a folder of their own. Only a restart of
the same run may resume from them: :func:`claim_checkpoint_dir` records what
the run is (its inputs and settings) and empties the folder when a later run is
a different one, say after a config change, rather than resuming a mixed run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

from stepwise.io import atomic_output

log = logging.getLogger(__name__)

RUN_FILE = "run.json"


def fingerprint(path: str | os.PathLike) -> str:
    """Tells runs on different inputs apart: a file's sha256, or for a folder (a
    model) a digest of its files' names, sizes and modification times."""
    path = Path(path)
    digest = hashlib.sha256()
    if path.is_dir():
        for item in sorted(p for p in path.rglob("*") if p.is_file()):
            stat = item.stat()
            digest.update(f"{item.relative_to(path)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        return digest.hexdigest()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def claim_checkpoint_dir(checkpoint_dir: str | os.PathLike, run: dict[str, Any]) -> Path:
    """Make ``checkpoint_dir`` the checkpoint folder of ``run`` (JSON-serialisable); return it.

    Checkpoints written by the same ``run`` are kept, to be resumed; anything
    else there is removed. Under ``accelerate launch`` the main process goes
    first, so the other processes find the folder already settled.
    """
    from accelerate import PartialState

    path = Path(checkpoint_dir)
    marker = path / RUN_FILE
    description = json.dumps(run, sort_keys=True)
    with PartialState().main_process_first():
        if path.exists() and not (marker.is_file() and marker.read_text(encoding="utf-8") == description):
            log.warning("discarding the checkpoints in %s: another run wrote them (inputs or settings changed)", path)
            shutil.rmtree(path)
        if not marker.is_file():
            with atomic_output(marker) as handle:
                handle.write(description)
    return path


def last_checkpoint(checkpoint_dir: str | os.PathLike) -> str | None:
    """The newest ``checkpoint-N`` folder the Trainer left in ``checkpoint_dir``, if any."""
    from transformers.trainer_utils import get_last_checkpoint

    return get_last_checkpoint(str(checkpoint_dir)) if Path(checkpoint_dir).is_dir() else None


def remove_checkpoints(checkpoint_dir: str | os.PathLike, out_dir: str | os.PathLike) -> None:
    """Once the model is saved in ``out_dir``, remove what only a restart needed:
    ``checkpoint_dir`` when it is a folder of its own, and any ``checkpoint-N``
    folders the Trainer left in ``out_dir``."""
    checkpoint_dir, out_dir = Path(checkpoint_dir), Path(out_dir)
    if checkpoint_dir != out_dir:
        shutil.rmtree(checkpoint_dir)
    for stale in out_dir.glob("checkpoint-*"):
        shutil.rmtree(stale)
