# The generator of each task: its SFT data as a file (GSM8K gold solutions; MATH
# reference solutions in the PRM800K step format, or few-shot samples whose
# answer checks correct), then SFT of the base model on it.


rule sft_data:
    input:
        unpack(sft_data_inputs),
    output:
        results("{task}", "sft_data.jsonl"),
    params:
        launcher=sft_data_launcher,
        settings=lambda w: json.dumps(sft_data_settings(w), sort_keys=True),
        model=sft_data_model,
        sampling=lambda w: json.dumps(sft_data_sampling(w), sort_keys=True),
    log:
        results("logs", "{task}", "sft_data.log"),
    benchmark:
        results("benchmarks", "{task}", "sft_data.tsv")
    threads: lambda w: stage_threads(sft_data_stage(w))
    resources:
        **sft_data_resources(),
    conda:
        "../envs/sample.yaml"
    shell:
        "python {params.launcher} \"$STEPWISE_SCRIPTS/sft_data.py\" --task {wildcards.task} --dataset {input.dataset:q}"
        " --settings {params.settings:q} {params.model} --sampling {params.sampling:q} --gpus {resources.gpu}"
        " --out {output:q} > {log:q} 2>&1"


rule sft_generator:
    input:
        base=results("models", "base.json"),
        data=results("{task}", "sft_data.jsonl"),
    output:
        directory(results("models", "{task}_generator")),
    params:
        settings=lambda w: json.dumps(config[w.task]["sft"], sort_keys=True),
        checkpoints=lambda w: results("checkpoints", f"{w.task}_generator"),  # kept when the job restarts
    log:
        results("logs", "models", "{task}_generator.log"),
    benchmark:
        results("benchmarks", "models", "{task}_generator.tsv")
    threads: stage_threads("train")
    resources:
        **stage_resources("train"),
    conda:
        "../envs/train.yaml"
    shell:
        "python -m stepwise.launch --gpus {resources.gpu} --data-parallel \"$STEPWISE_SCRIPTS/sft_generator.py\""
        " --data {input.data:q} --base {input.base:q} --settings {params.settings:q}"
        " --out {output:q} --checkpoints {params.checkpoints:q} > {log:q} 2>&1"
