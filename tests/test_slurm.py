"""The workflow on a real one-node Slurm cluster, through Snakemake's Slurm executor and profiles/slurm.

The fixture starts munged, slurmctld and slurmd (Debian's munge and slurm-wlm,
which .ci/run installs) as root with a one-node slurm.conf for this host, and
stops them afterwards. The test runs the demo's data and tiny model through
``snakemake --profile profiles/slurm`` with the paper config's job resources
mapped to this CPU-only node (no GPUs, little memory), checks that every job
ran as a Slurm job, and that the outputs equal those of the session's local
tiny run (tests/conftest.py), which has the same config but for the resources.

Without Slurm or root the test skips, unless ``STEPWISE_REQUIRE_SLURM=1`` (CI),
where that is a failure.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from tests.workflow import ROOT, TINY_CONFIG, deep_update, snakemake, write_config

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

# The executor's job step runs a nested srun with SLURM_* variables removed, so
# srun reads only the standard config path: the test cluster's config goes there.
SYSTEM_CONF = Path("/etc/slurm/slurm.conf")
OURS = "# one-node test cluster of tests/test_slurm.py\n"
DAEMONS = ("munged", "mungekey", "slurmctld", "slurmd", "sbatch", "squeue")
TARGET = "results/t/models/base.json"
OUTPUTS = (
    "data/gsm8k_train.jsonl",
    "data/math_train.jsonl",
    "models/tiny",
    "models/pretrained",
    "models/base.json",
)  # under results/t
JOBS = {
    "rule_raw_dataset_wildcards_gsm8k_train",
    "rule_raw_dataset_wildcards_math_train",
    "rule_tiny_model",
    "rule_pretrain_tiny_model",
    "rule_base_model",
}


def missing_requirements() -> list[str]:
    missing = [name for name in DAEMONS if shutil.which(name) is None]
    if os.geteuid() != 0:
        missing.append("root (slurmd runs jobs as their user)")
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        missing.append("snakemake-executor-plugin-slurm")
    if SYSTEM_CONF.exists() and not SYSTEM_CONF.read_text().startswith(OURS):
        missing.append(f"a free {SYSTEM_CONF} (this machine has a Slurm configuration of its own)")
    return missing


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def slurm_conf(base: Path, host: str) -> str:
    memory_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    return (
        OURS
        + f"""ClusterName=stepwise-test
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={base}/munge/munge.socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation={base}/state
SlurmdSpoolDir={base}/spool
SlurmctldPidFile={base}/slurmctld.pid
SlurmdPidFile={base}/slurmd.pid
SlurmctldLogFile={base}/slurmctld.log
SlurmdLogFile={base}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
MinJobAge=3600
NodeName={host} NodeAddr=127.0.0.1 CPUs={os.cpu_count()} RealMemory={memory_mb * 9 // 10} State=UNKNOWN
PartitionName=test Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""
    )


@pytest.fixture(scope="module")
def slurm_cluster(tmp_path_factory):
    missing = missing_requirements()
    if missing:
        message = "no single-node Slurm here: missing " + ", ".join(missing)
        if os.environ.get("STEPWISE_REQUIRE_SLURM") == "1":
            pytest.fail(message)
        pytest.skip(message)
    base = tmp_path_factory.mktemp("slurm")
    for folder in ("munge", "state", "spool"):
        (base / folder).mkdir(mode=0o700)
    host = subprocess.run(["hostname", "-s"], capture_output=True, text=True, check=True).stdout.strip()
    SYSTEM_CONF.parent.mkdir(parents=True, exist_ok=True)
    SYSTEM_CONF.write_text(slurm_conf(base, host))
    subprocess.run(["mungekey", "--create", f"--keyfile={base}/munge/munge.key"], check=True)
    munge = [
        f"--socket={base}/munge/munge.socket",
        f"--key-file={base}/munge/munge.key",
        f"--pid-file={base}/munge/munged.pid",
        f"--seed-file={base}/munge/munged.seed",
        f"--log-file={base}/munge/munged.log",
    ]
    daemons = []
    try:
        daemons.append(subprocess.Popen(["munged", "--foreground", "--force", *munge]))
        wait_for(lambda: (base / "munge" / "munge.socket").exists(), "munged", base)
        daemons.append(subprocess.Popen(["slurmctld", "-D", "-f", str(SYSTEM_CONF)]))
        daemons.append(subprocess.Popen(["slurmd", "-D", "-f", str(SYSTEM_CONF), "-N", host]))
        wait_for(lambda: node_state() == "idle", "the node to come up", base)
        yield base
    finally:
        for daemon in reversed(daemons):  # only the daemons started here
            daemon.terminate()
            try:
                daemon.wait(timeout=20)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()
        SYSTEM_CONF.unlink(missing_ok=True)


def node_state() -> str:
    result = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else ""


def wait_for(condition, what: str, base: Path, timeout: float = 60.0) -> None:
    deadline = time.time() + timeout
    while not condition():
        if time.time() > deadline:
            logs = "\n".join(f"{p.name}:\n{p.read_text()[-2000:]}" for p in sorted(base.rglob("*.log")))
            raise AssertionError(f"timed out waiting for {what}\n{logs}")
        time.sleep(0.5)


def on_this_node(resources: dict) -> dict:
    """The paper config's job resources, mapped to this CPU-only test node: no GPUs, 1 core, 1 GB."""
    return {
        stage: {**{k: v for k, v in spec.items() if k != "gpu_model"}, "gpu": 0, "threads": 1, "mem_mb": 1000}
        for stage, spec in resources.items()
    }


def slurm_jobs(workdir: Path) -> dict[str, tuple[str, str]]:
    """Snakemake's jobs Slurm ran from ``workdir``: comment (rule and wildcards) -> (job id, state)."""
    listing = subprocess.run(
        ["squeue", "--states=all", "-h", "-o", "%i|%Z|%k|%T"], capture_output=True, text=True, check=True
    ).stdout
    rows = [line.split("|") for line in listing.splitlines()]
    return {comment: (job_id, state) for job_id, folder, comment, state in rows if Path(folder) == workdir}


def outputs(workdir: Path) -> set[Path]:
    """The files of OUTPUTS in ``workdir`` (the model folder's files one by one)."""
    paths = [workdir / "results/t" / output for output in OUTPUTS]
    files = {path for path in paths if path.is_file()} | {f for path in paths if path.is_dir() for f in path.rglob("*")}
    return {path.relative_to(workdir) for path in files if path.is_file()}


def test_profile_runs_the_demo_jobs_on_slurm_with_the_same_outputs(slurm_cluster, tiny_run, tmp_path):
    paper = yaml.safe_load((ROOT / "configs" / "paper-qwen2.5-1.5b.yaml").read_text())
    cluster = tmp_path / "slurm"
    cluster.mkdir()
    write_config(cluster, deep_update(TINY_CONFIG, {"resources": on_this_node(paper["resources"])}))
    snakemake(
        cluster,
        "--profile",
        str(ROOT / "profiles" / "slurm"),
        "--jobs",
        "4",
        "--retries",
        "0",
        "--slurm-no-account",
        "--slurm-status-command",
        "squeue",
        "--slurm-keep-successful-logs",
        "--slurm-init-seconds-before-status-checks",
        "1",
        "--seconds-between-status-checks",
        "2",
        TARGET,
    )

    jobs = slurm_jobs(cluster)
    assert set(jobs) == JOBS, jobs
    assert {state for _, state in jobs.values()} == {"COMPLETED"}, jobs
    logs = {path.stem for path in (cluster / ".snakemake" / "slurm_logs").rglob("*.log")}
    assert {job_id for job_id, _ in jobs.values()} <= logs  # the executor's log of each Slurm job

    local = tiny_run.workdir
    produced = outputs(cluster)
    assert produced == outputs(local) and len(produced) >= 7
    for path in produced:  # base.json too: it points at the tiny model relative to the working directory
        assert filecmp.cmp(local / path, cluster / path, shallow=False), f"{path} differs"
