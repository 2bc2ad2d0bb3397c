# Automatic process labels (Math-Shepherd, Wang et al., 2024), per task of
# shepherd.tasks: the task's generator completes every step prefix of its own
# samples of training problems N times (or only the prefixes a binary search for
# the first unrecoverable step needs), and a step is labelled good when the
# completions reach the golden answer; the label shards are merged into the
# Math-Shepherd and TRL stepwise datasets with label statistics (and, on demo
# data, label quality against the demo's ground truth). A PRM trained on them
# with the PRM800K experiment's rules scores the task's test samples, and
# best-of-N by it joins the task's table. With shepherd.compare_problems, the
# other labeller labels the samples of that many problems again, and the two
# are compared (cost, agreement, quality). Target `math_shepherd`.

SHEPHERD = config["shepherd"]
SHEPHERD_TASKS = SHEPHERD["tasks"]
SHEPHERD_CATEGORY = "Math-Shepherd"
SHEPHERD_OUTPUTS = ("trl.jsonl", "math_shepherd.jsonl", "stats.json")  # of results/<run>/shepherd/<task>/
if SHEPHERD["compare_problems"]:
    SHEPHERD_OUTPUTS += ("labelers.json", "labelers.md")

# The Shepherd PRM's solution scores join the task's table (rules/evaluation.smk;
# its methods come from shepherd_prm_methods in rules/common.smk).
for task in SHEPHERD_TASKS:
    EVALUATION_SCORES[task].append(results(task, "scores", "test", "shepherd_prm.jsonl"))


rule shepherd_label_shard:
    input:
        model=results("models", "{task}_generator"),
        dataset=lambda w: raw_dataset(shepherd_problems(w.task)),
        samples=results("{task}", "samples", "train.jsonl"),
    output:
        results("shepherd", "{task}", "labels", "shard-{shard}.jsonl"),
    params:
        labeler=SHEPHERD["labeler"],
        problems=f"--problems {SHEPHERD['problems']}" if SHEPHERD["problems"] else "",
        completer=shepherd_completer,
        sampling=json.dumps(config["sampling"], sort_keys=True),
        shards=config["sampling"]["shards"],
    log:
        results("logs", "shepherd", "{task}", "labels", "shard-{shard}.log"),
    benchmark:
        results("benchmarks", "shepherd", "{task}", "labels", "shard-{shard}.tsv")
    threads: stage_threads("sample")
    resources:
        **stage_resources("sample"),
    conda:
        "../envs/sample.yaml"
    shell:
        "python -m stepwise.launch --gpus {resources.gpu} \"$STEPWISE_SCRIPTS/shepherd_label.py\""
        " --task {wildcards.task} --dataset {input.dataset:q} --samples {input.samples:q} --model {input.model:q}"
        " --labeler {params.labeler} {params.problems} --completer {params.completer:q}"
        " --sampling {params.sampling:q} --gpus {resources.gpu} --shard {wildcards.shard} --shards {params.shards}"
        " --out {output:q} > {log:q} 2>&1"


rule shepherd_aggregate:
    input:
        shards=shepherd_label_shards,
        truth=lambda w: [raw_dataset(shepherd_problems(w.task))] if shepherd_on_demo(w.task) else [],
    output:
        trl=results("shepherd", "{task}", "trl.jsonl"),
        math_shepherd=results("shepherd", "{task}", "math_shepherd.jsonl"),
        stats=report(
            results("shepherd", "{task}", "stats.json"),
            caption="../report/shepherd_stats.rst",
            category=SHEPHERD_CATEGORY,
        ),
    params:
        labels=SHEPHERD["labels"],
        soft_threshold=SHEPHERD["soft_threshold"],
        truth=lambda w, input: f"--truth-dataset {shlex.quote(input.truth[0])}" if input.truth else "",
    log:
        results("logs", "shepherd", "{task}", "aggregate.log"),
    threads: stage_threads("light")
    resources:
        **stage_resources("light"),
    conda:
        "../envs/data.yaml"
    shell:
        "python \"$STEPWISE_SCRIPTS/shepherd_aggregate.py\" --task {wildcards.task} --shards {input.shards:q}"
        " --labels {params.labels} --soft-threshold {params.soft_threshold} {params.truth}"
        " --trl {output.trl:q} --math-shepherd {output.math_shepherd:q} --stats {output.stats:q} > {log:q} 2>&1"


rule shepherd_compare_labelers:
    input:
        model=results("models", "{task}_generator"),
        dataset=lambda w: raw_dataset(shepherd_problems(w.task)),
        samples=results("{task}", "samples", "train.jsonl"),
        shards=shepherd_label_shards,
    output:
        json=results("shepherd", "{task}", "labelers.json"),
        markdown=report(
            results("shepherd", "{task}", "labelers.md"),
            caption="../report/shepherd_labelers.rst",
            category=SHEPHERD_CATEGORY,
        ),
    params:
        problems=SHEPHERD["compare_problems"],
        completer=shepherd_completer,
        sampling=json.dumps(config["sampling"], sort_keys=True),
        soft_threshold=SHEPHERD["soft_threshold"],
        truth=lambda w, input: f"--truth-dataset {shlex.quote(input.dataset)}" if shepherd_on_demo(w.task) else "",
    log:
        results("logs", "shepherd", "{task}", "labelers.log"),
    benchmark:
        results("benchmarks", "shepherd", "{task}", "labelers.tsv")
    threads: stage_threads("sample")
    resources:
        **stage_resources("sample"),
    conda:
        "../envs/sample.yaml"
    shell:
        "python -m stepwise.launch --gpus {resources.gpu} \"$STEPWISE_SCRIPTS/shepherd_compare.py\""
        " --task {wildcards.task} --dataset {input.dataset:q} --samples {input.samples:q} --labels {input.shards:q}"
        " --model {input.model:q} --problems {params.problems} --completer {params.completer:q}"
        " --sampling {params.sampling:q} --gpus {resources.gpu} --soft-threshold {params.soft_threshold}"
        " {params.truth} --out-json {output.json:q} --out-md {output.markdown:q} > {log:q} 2>&1"


# The PRM800K experiment's PRM rules, on the Shepherd labels and the task's generator.
use rule prm800k_train_prm as shepherd_train_prm with:
    input:
        data=results("shepherd", "{task}", "trl.jsonl"),
        generator=results("models", "{task}_generator"),
    output:
        directory(results("models", "{task}_shepherd_prm")),
    params:
        settings=json.dumps(SHEPHERD["prm"], sort_keys=True),
        checkpoints=lambda w: results("checkpoints", f"{w.task}_shepherd_prm"),  # not the PRM800K PRM's
    log:
        results("logs", "models", "{task}_shepherd_prm.log"),
    benchmark:
        results("benchmarks", "models", "{task}_shepherd_prm.tsv")


use rule prm800k_score_steps as shepherd_score_steps with:
    input:
        prm=results("models", "{task}_shepherd_prm"),
        dataset=lambda w: raw_dataset(SAMPLE_SETS[(w.task, w.split)][0]),
        samples=results("{task}", "samples", "{split}.jsonl"),
    output:
        results("{task}", "step_scores", "{split}", "shepherd_prm.jsonl"),
    params:
        task=lambda w: w.task,
        column="shepherd_prm",
    log:
        results("logs", "{task}", "step_scores", "{split}", "shepherd_prm.log"),
    benchmark:
        results("benchmarks", "{task}", "step_scores", "{split}", "shepherd_prm.tsv")


rule math_shepherd:
    input:
        [evaluation_outputs(task) for task in SHEPHERD_TASKS],
        [results("shepherd", task, name) for task in SHEPHERD_TASKS for name in SHEPHERD_OUTPUTS],
