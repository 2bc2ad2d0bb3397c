# The generator of each task: its SFT data as a file, then SFT of the base model
# on it; or, with <task>.generator.source `pretrained`, an off-the-shelf model as
# it is (rule pretrained_generator: its files linked, and how it is prompted;
# stepwise/generators/prompting.py). The data is the task's gold solutions (GSM8K), MATH reference solutions
# in the PRM800K step format (rule sft_data, a light job), or few-shot samples
# of a prompted model whose answer checks correct (rule sft_data_fewshot, a
# sampling job); stepwise.config.registry.generator_data_source says which. The SFT
# data is shared by every replicate; the SFT runs once per replicate.


rule sft_data:
    input:
        dataset=lambda w: problems_of(w.task, "train"),
    output:
        results("{task}", "sft_data.jsonl"),
    wildcard_constraints:
        task=one_of(job_settings.tasks_with_generator_data(config, "gold", "reference")),
    params:
        settings=lambda w: settings(job_settings.reference_data(config, w.task)),
    log:
        results("logs", "{task}", "sft_data.log"),
    benchmark:
        results("benchmarks", "{task}", "sft_data.tsv")
    threads: stage_threads("light")
    resources:
        **stage_resources("light"),
    conda:
        "../envs/data.yaml"
    shell:
        "python \"$STEPWISE_SCRIPTS/sft_data.py\" --task {wildcards.task} --dataset {input.dataset:q}"
        " --settings {params.settings:q} --out {output:q} > {log:q} 2>&1"


rule sft_data_fewshot:
    input:
        dataset=lambda w: problems_of(w.task, "train"),
        base=results("models", "base.json"),  # the prompted model when generator_data.model is `base`
    output:
        results("{task}", "sft_data.jsonl"),
    wildcard_constraints:
        task=one_of(job_settings.tasks_with_generator_data(config, "fewshot")),
    params:
        settings=lambda w: settings(job_settings.fewshot_data(config, w.task)),
    log:
        results("logs", "{task}", "sft_data.log"),
    benchmark:
        results("benchmarks", "{task}", "sft_data.tsv")
    threads: stage_threads("sample")
    resources:
        **stage_resources("sample"),
    conda:
        "../envs/sample.yaml"
    shell:
        "python -m stepwise.launch --gpus {resources.gpu} \"$STEPWISE_SCRIPTS/sft_data_fewshot.py\""
        " --task {wildcards.task} --dataset {input.dataset:q} --base {input.base:q} --settings {params.settings:q}"
        " --gpus {resources.gpu} --out {output:q} > {log:q} 2>&1"


rule sft_generator:
    input:
        base=results("models", "base.json"),
        data=results("{task}", "sft_data.jsonl"),  # shared by the replicates
    output:
        directory(rep("models", "{task}_generator")),
    wildcard_constraints:
        task=one_of(job_settings.tasks_with_generator(config, "sft")),
    params:
        settings=lambda w: settings(job_settings.sft(job_config(w), w.task)),
        checkpoints=lambda w: in_rep(w, "checkpoints", f"{w.task}_generator"),  # kept when the job restarts
    log:
        rep("logs", "models", "{task}_generator.log"),
    benchmark:
        rep("benchmarks", "models", "{task}_generator.tsv")
    threads: stage_threads("train")
    resources:
        **stage_resources("train"),
    conda:
        "../envs/train.yaml"
    shell:
        "python -m stepwise.launch --gpus {resources.gpu} --data-parallel \"$STEPWISE_SCRIPTS/sft_generator.py\""
        " --data {input.data:q} --base {input.base:q} --settings {params.settings:q}"
        " --out {output:q} --checkpoints {params.checkpoints:q} > {log:q} 2>&1"


rule pretrained_generator:
    input:
        dataset=lambda w: problems_of(w.task, "train"),  # a few-shot prompt's solved problems
    output:
        directory(rep("models", "{task}_generator")),
    wildcard_constraints:
        task=one_of(job_settings.tasks_with_generator(config, "pretrained")),
    params:
        settings=lambda w: settings(job_settings.pretrained_generator(config, w.task)),
    log:
        rep("logs", "models", "{task}_generator.log"),
    threads: stage_threads("light")
    resources:
        **stage_resources("light"),
    conda:
        "../envs/train.yaml"
    shell:
        "python \"$STEPWISE_SCRIPTS/pretrained_generator.py\" --task {wildcards.task} --dataset {input.dataset:q}"
        " --settings {params.settings:q} --out {output:q} > {log:q} 2>&1"
