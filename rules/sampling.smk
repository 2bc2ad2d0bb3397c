# Sampling solutions from a task's generator, split into shards (scatter/gather):
# each shard is its own job, written atomically, so a cluster runs them in
# parallel and a killed run redoes only the missing shards. A task's sample
# sets (which raw dataset, which config section) come from stepwise/config/registry.py.


rule sample_shard:
    input:
        model=rep("models", "{task}_generator"),
        dataset=lambda w: problems_of(w.task, w.split),
    output:
        rep("{task}", "samples", "{split}", "shard-{shard}.jsonl"),
    params:
        settings=lambda w: settings(job_settings.sampling(job_config(w), w.task, w.split)),
    log:
        rep("logs", "{task}", "samples", "{split}", "shard-{shard}.log"),
    benchmark:
        rep("benchmarks", "{task}", "samples", "{split}", "shard-{shard}.tsv")
    threads: stage_threads("sample")
    resources:
        **stage_resources("sample"),
    conda:
        "../envs/sample.yaml"
    shell:
        "python -m stepwise.launch --gpus {resources.gpu} \"$STEPWISE_SCRIPTS/sample.py\" --task {wildcards.task}"
        " --dataset {input.dataset:q} --model {input.model:q} --settings {params.settings:q}"
        " --gpus {resources.gpu} --shard {wildcards.shard} --out {output:q} > {log:q} 2>&1"


rule merge_samples:
    input:
        lambda w: shard_files(w, w.task, "samples", w.split),
    output:
        rep("{task}", "samples", "{split}.jsonl"),
    log:
        rep("logs", "{task}", "samples", "{split}.merge.log"),
    threads: stage_threads("light")
    resources:
        **stage_resources("light"),
    conda:
        "../envs/data.yaml"
    shell:
        "python \"$STEPWISE_SCRIPTS/merge_samples.py\" --out {output:q} {input:q} > {log:q} 2>&1"
