"""From the config to a job: the task and scorer registry, the decoding of a config section into a
settings dataclass, each job's settings, and the replicates' configs."""
