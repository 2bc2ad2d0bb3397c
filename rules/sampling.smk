# Sampling solutions from a task's generator, split into shards (scatter/gather):
# each shard is its own job, written atomically, so a cluster runs them in
# parallel and a killed run redoes only the missing shards.

# (task, split) -> (raw dataset, config section of that sample set)
SAMPLE_SETS = {
    ("gsm8k", "train"): ("gsm8k_train", "verifier_samples"),
    ("gsm8k", "test"): ("gsm8k_test", "test_samples"),
    ("math", "train"): ("math_train", "train_samples"),
    ("math", "test"): ("math500", "test_samples"),
}


wildcard_constraints:
    task="gsm8k|math",
    split="train|test",
    shard=r"\d+",


rule sample_shard:
    input:
        model=results("models", "{task}_generator"),
        dataset=lambda w: raw_dataset(sample_set(w)[0]),
    output:
        results("{task}", "samples", "{split}", "shard-{shard}.jsonl"),
    params:
        run=lambda w: json.dumps(sample_set(w)[1], sort_keys=True),
        sampling=json.dumps(config["sampling"], sort_keys=True),
        shards=config["sampling"]["shards"],
    log:
        results("logs", "{task}", "samples", "{split}", "shard-{shard}.log"),
    benchmark:
        results("benchmarks", "{task}", "samples", "{split}", "shard-{shard}.tsv")
    threads: stage_threads("sample")
    resources:
        **stage_resources("sample"),
    conda:
        "../envs/sample.yaml"
    shell:
        "python -m stepwise.launch --gpus {resources.gpu} \"$STEPWISE_SCRIPTS/sample.py\" --task {wildcards.task}"
        " --dataset {input.dataset:q} --model {input.model:q} --run {params.run:q} --sampling {params.sampling:q}"
        " --gpus {resources.gpu} --shard {wildcards.shard} --shards {params.shards} --out {output:q} > {log:q} 2>&1"


rule merge_samples:
    input:
        lambda w: sample_shards(w.task, w.split),
    output:
        results("{task}", "samples", "{split}.jsonl"),
    log:
        results("logs", "{task}", "samples", "{split}.merge.log"),
    threads: stage_threads("light")
    resources:
        **stage_resources("light"),
    conda:
        "../envs/data.yaml"
    shell:
        "python \"$STEPWISE_SCRIPTS/merge_samples.py\" --out {output:q} {input:q} > {log:q} 2>&1"
