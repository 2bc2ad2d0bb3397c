# The base model: the demo's tiny model built here (and pretrained once when
# model.pretrain is set), or a pretrained one (a local folder or a Hugging Face
# id) resolved to a local folder.

TINY = config["model"]["base"] == "tiny"
PRETRAIN = TINY and config["model"]["pretrain"] is not None


rule tiny_model:
    input:
        gsm8k=raw_dataset("gsm8k_train"),
        math=raw_dataset("math_train"),
    output:
        directory(results("models", "tiny")),
    params:
        settings=settings(job_settings.tiny_model(config)),
    log:
        results("logs", "models", "tiny.log"),
    benchmark:
        results("benchmarks", "models", "tiny.tsv")
    threads: stage_threads("light")
    resources:
        **stage_resources("light"),
    conda:
        "../envs/train.yaml"
    shell:
        "python \"$STEPWISE_SCRIPTS/build_tiny_model.py\" --gsm8k {input.gsm8k:q} --math {input.math:q}"
        " --settings {params.settings:q} --out {output:q} > {log:q} 2>&1"


rule pretrain_tiny_model:
    # The papers start from a pretrained base: with model.pretrain set, the tiny model is pretrained
    # once, as a language model on both tasks' training texts, and every generator of every replicate
    # starts from it (off in the demo: docs/demo-history-2026-12-07.md).
    input:
        model=results("models", "tiny"),
        gsm8k=raw_dataset("gsm8k_train"),
        math=raw_dataset("math_train"),
    output:
        directory(results("models", "pretrained")),
    params:
        settings=settings(job_settings.pretraining(config)),
        checkpoints=results("checkpoints", "pretrained"),  # kept when the job restarts
    log:
        results("logs", "models", "pretrained.log"),
    benchmark:
        results("benchmarks", "models", "pretrained.tsv")
    threads: stage_threads("pretrain")
    resources:
        **stage_resources("pretrain"),
    conda:
        "../envs/train.yaml"
    shell:
        "python -m stepwise.launch --gpus {resources.gpu} --data-parallel \"$STEPWISE_SCRIPTS/pretrain_tiny_model.py\""
        " --model {input.model:q} --gsm8k {input.gsm8k:q} --math {input.math:q} --settings {params.settings:q}"
        " --out {output:q} --checkpoints {params.checkpoints:q} > {log:q} 2>&1"


rule base_model:
    input:
        results("models", "pretrained" if PRETRAIN else "tiny") if TINY else [],
    output:
        results("models", "base.json"),
    params:
        model=lambda w, input: input[0] if TINY else config["model"]["base"],
        revision=config["model"].get("revision") or "",
    log:
        results("logs", "models", "base.log"),
    threads: stage_threads("light")
    resources:
        **stage_resources("light"),
    conda:
        "../envs/train.yaml"
    shell:
        "python \"$STEPWISE_SCRIPTS/resolve_base_model.py\""
        " --model {params.model:q} --revision={params.revision:q} --out {output:q} > {log:q} 2>&1"
