"""Start a workflow script on the GPUs its job asked for.

    python -m stepwise.launch --gpus N [--data-parallel] SCRIPT [ARGS...]

On Slurm a job finds its GPUs in ``CUDA_VISIBLE_DEVICES``. Snakemake running
jobs on one workstation only counts GPUs (``--resources gpu=N``) and does not
say which ones a job may use, so a job started without
``CUDA_VISIBLE_DEVICES`` claims N free GPUs here by locking one file per GPU
(held by the script's process until it ends) and sees only those. With
``--data-parallel`` and N > 1 the script runs under ``accelerate launch``, one
process per GPU: transformers' Trainer and trl then train data-parallel.
"""

from __future__ import annotations

import argparse
import fcntl
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

log = logging.getLogger("stepwise.launch")

# One lock file per GPU, shared by every job on this machine.
LOCK_DIR = Path(os.environ.get("STEPWISE_GPU_LOCKS", Path(tempfile.gettempdir()) / "stepwise-gpu-locks"))


def command(script: str, args: list[str], gpus: int, data_parallel: bool) -> list[str]:
    """The command line that runs ``script``: this Python, or accelerate with one process per GPU."""
    if data_parallel and gpus > 1:
        return [
            sys.executable,
            "-m",
            "accelerate.commands.launch",
            "--multi_gpu",
            "--num_machines",
            "1",
            "--num_processes",
            str(gpus),
            "--mixed_precision",
            "no",  # the Trainer's own bf16 setting decides
            script,
            *args,
        ]
    return [sys.executable, script, *args]


def claim_gpus(wanted: int, total: int, lock_dir: Path, poll_seconds: float = 5.0) -> tuple[list[int], list[int]]:
    """``(indices, fds)``: ``wanted`` of the ``total`` GPUs that no other job holds, and the
    open lock files that hold them (closing them, or the process ending, frees them).

    Waits while fewer are free (a job outside Snakemake's count may hold one).
    """
    if wanted > total:
        raise SystemExit(f"the job asks for {wanted} GPUs but this machine has {total}")
    lock_dir.mkdir(parents=True, exist_ok=True)
    while True:
        held: list[tuple[int, int]] = []
        for index in range(total):
            fd = os.open(lock_dir / f"gpu{index}.lock", os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            held.append((index, fd))
            if len(held) == wanted:
                return [index for index, _ in held], [fd for _, fd in held]
        for _, fd in held:
            os.close(fd)
        log.info("waiting for %d free GPUs (%d of %d free)", wanted, len(held), total)
        time.sleep(poll_seconds)


def gpu_count() -> int:
    import torch

    return torch.cuda.device_count()


def prepare(argv: list[str] | None = None) -> tuple[list[str], dict[str, str], list[int]]:
    """The command and environment to run, and the lock files of the GPUs claimed for it
    (inheritable: the script's process holds them until it ends)."""
    parser = argparse.ArgumentParser(prog="python -m stepwise.launch", description=__doc__.split("\n\n")[0])
    parser.add_argument("--gpus", type=int, default=0, help="GPUs of this job (Snakemake's resources.gpu)")
    parser.add_argument("--data-parallel", action="store_true", help="one process per GPU with accelerate (training)")
    parser.add_argument("script")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    env, fds = dict(os.environ), []
    if args.gpus > 0 and "CUDA_VISIBLE_DEVICES" not in env:
        indices, fds = claim_gpus(args.gpus, gpu_count(), LOCK_DIR)
        for fd in fds:
            os.set_inheritable(fd, True)  # the lock lives as long as the script's process
        env["CUDA_VISIBLE_DEVICES"] = ",".join(map(str, indices))
        log.info("claimed GPUs %s", env["CUDA_VISIBLE_DEVICES"])
    return command(args.script, args.args, args.gpus, args.data_parallel), env, fds


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    cmd, env, _ = prepare()  # the lock files stay open across exec
    log.info("running %s", " ".join(cmd))
    os.execve(cmd[0], cmd, env)


if __name__ == "__main__":
    main()
