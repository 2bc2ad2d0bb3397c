"""stepwise.launch: GPUs for jobs that Snakemake runs side by side, and data-parallel training."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from stepwise import launch


def test_one_gpu_or_none_runs_the_script_with_this_python():
    one_gpu = launch.command("train.py", ["--x", "1"], gpus=1, data_parallel=True)
    assert one_gpu == [sys.executable, "train.py", "--x", "1"]
    assert launch.command("sample.py", [], gpus=4, data_parallel=False) == [sys.executable, "sample.py"]


def test_several_gpus_train_with_one_process_each():
    command = launch.command("train.py", ["--out", "m"], gpus=4, data_parallel=True)
    assert command[:3] == [sys.executable, "-m", "accelerate.commands.launch"]
    assert command[command.index("--num_processes") + 1] == "4" and "--multi_gpu" in command
    assert command[-3:] == ["train.py", "--out", "m"]


def test_jobs_get_gpus_no_other_job_holds(tmp_path):
    first, first_locks = launch.claim_gpus(2, total=3, lock_dir=tmp_path)
    second, second_locks = launch.claim_gpus(1, total=3, lock_dir=tmp_path)
    assert first == [0, 1] and second == [2]
    released = threading.Timer(0.3, lambda: [os.close(fd) for fd in first_locks])
    released.start()  # the third job waits until the first one ends
    third, third_locks = launch.claim_gpus(2, total=3, lock_dir=tmp_path, poll_seconds=0.1)
    released.join()
    assert third == [0, 1]
    for fd in second_locks + third_locks:
        os.close(fd)


def test_a_job_cannot_ask_for_more_gpus_than_there_are(tmp_path):
    with pytest.raises(SystemExit, match="asks for 2 GPUs but this machine has 1"):
        launch.claim_gpus(2, total=1, lock_dir=tmp_path)


def test_gpus_given_by_slurm_are_kept(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3")
    monkeypatch.setattr(launch, "gpu_count", lambda: pytest.fail("GPUs given by the scheduler are not claimed again"))
    command, env, held = launch.prepare(["--gpus", "1", "script.py", "--flag"])
    assert env["CUDA_VISIBLE_DEVICES"] == "3" and command == [sys.executable, "script.py", "--flag"] and not held


def test_claimed_gpus_stay_locked_while_the_script_runs(monkeypatch, tmp_path):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setattr(launch, "LOCK_DIR", tmp_path / "locks")
    monkeypatch.setattr(launch, "gpu_count", lambda: 2)
    script, go = tmp_path / "job.py", tmp_path / "go"
    script.write_text(
        f"import os, pathlib, time\nprint(os.environ['CUDA_VISIBLE_DEVICES'], flush=True)\n"
        f"while not pathlib.Path({str(go)!r}).exists(): time.sleep(0.05)\n"
    )
    command, env, held = launch.prepare(["--gpus", "1", str(script)])
    assert env["CUDA_VISIBLE_DEVICES"] == "0" and held
    # main() execs the script, which inherits the lock; here a child process stands in for it.
    job = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True, pass_fds=held)
    try:
        for fd in held:
            os.close(fd)
        assert job.stdout.readline().strip() == "0"
        taken, locks = launch.claim_gpus(1, total=2, lock_dir=tmp_path / "locks")
        assert taken == [1]  # GPU 0 is the running job's
    finally:
        go.touch()
        job.wait(timeout=30)
    assert launch.claim_gpus(1, total=2, lock_dir=tmp_path / "locks")[0] == [0]  # freed when the job ended
    for fd in locks:
        os.close(fd)


def test_the_launcher_runs_a_script_end_to_end(tmp_path):
    script = tmp_path / "job.py"
    script.write_text("import sys; print('args', sys.argv[1:])\n")
    out = subprocess.run(
        [sys.executable, "-m", "stepwise.launch", "--gpus", "0", str(script), "--task", "gsm8k"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "args ['--task', 'gsm8k']" in out.stdout
