# Automatic process labels (Math-Shepherd, Wang et al., 2024), per task of
# shepherd.tasks: the task's generator completes every step prefix of its own
# samples of training problems N times (strategy `linear`), or only the
# prefixes a binary search for the first unrecoverable step needs (`binary`),
# and a step is labelled good when the completions reach the golden answer; the
# label shards are merged into the Math-Shepherd and TRL stepwise datasets with
# label statistics (and, on demo data, label quality against the demo's ground
# truth). A PRM trained on them with the PRM800K experiment's trainer is the
# task's `shepherd_prm` scorer (stepwise/config/registry.py), scored by the rules of
# rules/prm800k.smk. With shepherd.compare_problems, the other strategy labels
# the samples of that many problems again, and the two are compared (cost,
# agreement, quality). Target `math_shepherd`.

SHEPHERD_CATEGORY = "Math-Shepherd"


rule shepherd_label_shard:
    input:
        model=rep("models", "{task}_generator"),
        dataset=lambda w: problems_of(w.task, "train"),
        samples=rep("{task}", "samples", "train.jsonl"),
    output:
        rep("shepherd", "{task}", "labels", "shard-{shard}.jsonl"),
    params:
        settings=lambda w: settings(job_settings.shepherd_labels(job_config(w), w.task)),
    log:
        rep("logs", "shepherd", "{task}", "labels", "shard-{shard}.log"),
    benchmark:
        rep("benchmarks", "shepherd", "{task}", "labels", "shard-{shard}.tsv")
    threads: stage_threads("sample")
    resources:
        **stage_resources("sample"),
    conda:
        "../envs/sample.yaml"
    shell:
        "python -m stepwise.launch --gpus {resources.gpu} \"$STEPWISE_SCRIPTS/shepherd_label.py\""
        " --task {wildcards.task} --dataset {input.dataset:q} --samples {input.samples:q} --model {input.model:q}"
        " --settings {params.settings:q} --gpus {resources.gpu} --shard {wildcards.shard}"
        " --out {output:q} > {log:q} 2>&1"


rule shepherd_aggregate:
    input:
        shards=lambda w: shard_files(w, "shepherd", w.task, "labels"),
        dataset=lambda w: problems_of(w.task, "train"),
    output:
        trl=rep("shepherd", "{task}", "trl.jsonl"),
        math_shepherd=rep("shepherd", "{task}", "math_shepherd.jsonl"),
        stats=report(
            rep("shepherd", "{task}", "stats.json"),
            caption="../report/shepherd_stats.rst",
            category=SHEPHERD_CATEGORY,
        ),
    params:
        settings=lambda w: settings(job_settings.shepherd_aggregate(config, w.task)),
    log:
        rep("logs", "shepherd", "{task}", "aggregate.log"),
    threads: stage_threads("light")
    resources:
        **stage_resources("light"),
    conda:
        "../envs/data.yaml"
    shell:
        "python \"$STEPWISE_SCRIPTS/shepherd_aggregate.py\" --task {wildcards.task} --shards {input.shards:q}"
        " --dataset {input.dataset:q} --settings {params.settings:q} --trl {output.trl:q}"
        " --math-shepherd {output.math_shepherd:q} --stats {output.stats:q} > {log:q} 2>&1"


rule shepherd_compare_strategies:
    input:
        model=rep("models", "{task}_generator"),
        dataset=lambda w: problems_of(w.task, "train"),
        samples=rep("{task}", "samples", "train.jsonl"),
        shards=lambda w: shard_files(w, "shepherd", w.task, "labels"),
    output:
        json=rep("shepherd", "{task}", "strategies.json"),
        markdown=report(
            rep("shepherd", "{task}", "strategies.md"),
            caption="../report/shepherd_strategies.rst",
            category=SHEPHERD_CATEGORY,
        ),
    params:
        settings=lambda w: settings(job_settings.shepherd_comparison(job_config(w), w.task)),
    log:
        rep("logs", "shepherd", "{task}", "strategies.log"),
    benchmark:
        rep("benchmarks", "shepherd", "{task}", "strategies.tsv")
    threads: stage_threads("sample")
    resources:
        **stage_resources("sample"),
    conda:
        "../envs/sample.yaml"
    shell:
        "python -m stepwise.launch --gpus {resources.gpu} \"$STEPWISE_SCRIPTS/shepherd_compare.py\""
        " --task {wildcards.task} --dataset {input.dataset:q} --samples {input.samples:q} --labels {input.shards:q}"
        " --model {input.model:q} --settings {params.settings:q} --gpus {resources.gpu}"
        " --out-json {output.json:q} --out-md {output.markdown:q} > {log:q} 2>&1"


# The PRM800K experiment's PRM trainer, on the Shepherd labels and the task's generator.
use rule prm800k_train_prm as shepherd_train_prm with:
    input:
        data=rep("shepherd", "{task}", "trl.jsonl"),
        generator=rep("models", "{task}_generator"),
    output:
        directory(rep("models", "{task}_shepherd_prm")),
    params:
        settings=lambda w: settings(job_settings.shepherd_prm(job_config(w))),
        checkpoints=lambda w: in_rep(w, "checkpoints", f"{w.task}_shepherd_prm"),  # not the PRM800K PRM's
    log:
        rep("logs", "models", "{task}_shepherd_prm.log"),
    benchmark:
        rep("benchmarks", "models", "{task}_shepherd_prm.tsv")


rule math_shepherd:
    input:
        [evaluation_outputs(task) for task in config["shepherd"]["tasks"]],
        [path for task in config["shepherd"]["tasks"] for name in job_settings.shepherd_files(config, task)
         for path in every_rep(name)],
