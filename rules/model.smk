# The base model: the demo's tiny model built here, or a pretrained one
# (a local folder or a Hugging Face id) resolved to a local folder.

TINY = config["model"]["base"] == "tiny"


rule tiny_model:
    input:
        gsm8k=raw_dataset("gsm8k_train"),
        math=raw_dataset("math_train"),
    output:
        directory(results("models", "tiny")),
    params:
        settings=settings(config["model"]["tiny"]),
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


rule base_model:
    input:
        results("models", "tiny") if TINY else [],
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
