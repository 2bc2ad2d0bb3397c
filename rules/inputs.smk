# Which files each job reads: the raw datasets, a task's sample sets and their
# shards, each task's evaluation outputs, the ProcessBench subsets and scores,
# public PRM folders and the search guides. Input functions only, included right
# after common.smk so that every file of rules can use them (no forward references).

PROCESSBENCH = config["processbench"]
PROCESSBENCH_ON_DEMO = PROCESSBENCH["source"] == "demo"
PROCESSBENCH_SUBSETS = list(registry.TASK_NAMES) if PROCESSBENCH_ON_DEMO else list(PROCESSBENCH["subsets"])
PROCESSBENCH_PRMS = registry.process_reward_models(config)  # model folder -> the task whose prompts it reads
PROCESSBENCH_PUBLIC_PRMS = registry.public_prm_scorers(config)  # scorer names
PROCESSBENCH_ENTRIES = [{"prm": prm, "subset": subset}
                        for prm in [*PROCESSBENCH_PRMS, *PROCESSBENCH_PUBLIC_PRMS] for subset in PROCESSBENCH_SUBSETS]


def raw_dataset(name):
    return results("data", f"{name}.jsonl")


def raw_datasets():
    return [raw_dataset(name) for name in config["data"]]


def problems_of(task, split):
    """The raw dataset whose problems a task's sample set solves."""
    return raw_dataset(registry.get_task(task).sample_set(split).dataset)


from stepwise.data.sources import dataset_spec


def shard_files(w, *parts):
    """The shard files of a sharded job's output folder in job ``w``'s replicate, one per sampling shard."""
    return [in_rep(w, *parts, f"shard-{k}.jsonl") for k in range(config["sampling"]["shards"])]


def rep_title(w):
    """The run's name, and the replicate of job ``w`` after the first (for titles; replicate 1's
    stays the run's name, so that adding replicates reruns none of its jobs)."""
    number = replicates.replicate_number(results(), w.rep)
    return RUN if number == 1 else f"{RUN}, replicate {number}"


def each_task_every_rep(tasks, *parts):
    """A path of each of ``tasks`` (``parts``, with a ``{task}`` field) in every replicate's results
    folder: task by task, replicate 1 first."""
    return [path for task in tasks for path in every_rep(*(part.format(task=task) for part in parts))]


def evaluation_outputs(task):
    """A task's accuracy table (CSV, Markdown), selections and plot in every replicate, and their
    summary over replicates when there are several."""
    outputs = [path for name in ("accuracy.csv", "accuracy.md", "selections.csv", "accuracy.png")
               for path in every_rep(task, name)]
    if len(REPLICATE_DIRS) > 1:
        outputs += [results(task, f"accuracy_replicates.{ext}") for ext in ("csv", "md", "png")]
    return outputs


def public_prm_folder(w):
    """A public PRM given as a local folder is an input (a hub id is fetched by the job)."""
    model = job_settings.configured_scorer(config, w.scorer)["model"]
    return [model] if os.path.isdir(model) else []


def search_guide_model(w):
    """The model folder of the guide of job ``w``'s task search, in the job's replicate."""
    return in_rep(w, "models", registry.search_guide(config, w.task).model)


def search_guide_scores(w):
    """The guide's score file of the test samples of job ``w``'s task, in the job's replicate."""
    return in_rep(w, w.task, "scores", "test", f"{registry.search_guide(config, w.task).name}.jsonl")


def processbench_set(w):
    """The ProcessBench subset file the PRMs of job ``w`` score: the demo's, built in the job's
    replicate from its samples, or the benchmark's, shared by the replicates."""
    if PROCESSBENCH_ON_DEMO:
        return in_rep(w, "processbench", "sets", f"{w.subset}.json")
    return results("processbench", "sets", f"{w.subset}.json")


def processbench_scores(w):
    """Every PRM's ProcessBench scores of every subset, as job ``w``'s replicate sees them: a public
    PRM's on the benchmark are shared by the replicates."""
    def path(entry):
        parts = ("processbench", "scores", entry["subset"], f"{entry['prm']}.jsonl")
        if entry["prm"] in PROCESSBENCH_PUBLIC_PRMS and not PROCESSBENCH_ON_DEMO:
            return results(*parts)
        return in_rep(w, *parts)

    return [path(entry) for entry in PROCESSBENCH_ENTRIES]
