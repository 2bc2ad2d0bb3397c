# Step scores of every PRM, whatever its experiment: a trained PRM's (PRM800K, Math-Shepherd; registry
# kind "process") scores of a task's samples, step by step; and any step scores (those of a public PRM
# from rules/scorers.smk too: registry.STEP_SCORE_KINDS) aggregated into one score per solution for
# each aggregation, the PRM's columns in the task's table.


# Step scores of a task's samples by one of its PRMs (registry: kind "process").
rule score_steps:
    input:
        prm=lambda w: in_rep(w, "models", registry.get_scorer(config, w.task, w.scorer).model),
        dataset=lambda w: problems_of(w.task, w.split),
        samples=rep("{task}", "samples", "{split}.jsonl"),
    output:
        rep("{task}", "step_scores", "{split}", "{scorer}.jsonl"),
    wildcard_constraints:
        scorer=one_of(registry.scorer_names(config, "process")),
    params:
        settings=lambda w: settings(job_settings.step_scoring(job_config(w), w.scorer, w.task)),
    log:
        rep("logs", "{task}", "step_scores", "{split}", "{scorer}.log"),
    benchmark:
        rep("benchmarks", "{task}", "step_scores", "{split}", "{scorer}.tsv")
    threads: stage_threads("score")
    resources:
        **stage_resources("score"),
    conda:
        "../envs/train.yaml"
    shell:
        "python -m stepwise.launch --gpus {resources.gpu} \"$STEPWISE_SCRIPTS/score_steps.py\""
        " --samples {input.samples:q} --task {wildcards.task} --dataset {input.dataset:q} --prm {input.prm:q}"
        " --settings {params.settings:q} --out {output:q} > {log:q} 2>&1"


rule aggregate_step_scores:
    input:
        rep("{task}", "step_scores", "{split}", "{scorer}.jsonl"),
    output:
        rep("{task}", "scores", "{split}", "{scorer}.jsonl"),
    wildcard_constraints:
        scorer=one_of(registry.scorer_names(config, *registry.STEP_SCORE_KINDS)),
    params:
        settings=lambda w: settings(job_settings.step_aggregation(job_config(w), w.scorer, w.task)),
    log:
        rep("logs", "{task}", "scores", "{split}", "{scorer}.log"),
    threads: stage_threads("light")
    resources:
        **stage_resources("light"),
    conda:
        "../envs/data.yaml"
    shell:
        "python \"$STEPWISE_SCRIPTS/aggregate_step_scores.py\" --samples {input:q} --settings {params.settings:q}"
        " --out {output:q} > {log:q} 2>&1"
