# Scorers declared under the config's `scorers:` (stepwise.config.registry.SCORER_KINDS):
# one rule per kind, writing <task>/scores/<split>/<name>.jsonl for every scorer
# of that kind. The registry adds their rows to the task's table.

rule random_scores:
    input:
        rep("{task}", "samples", "{split}.jsonl"),
    output:
        rep("{task}", "scores", "{split}", "{scorer}.jsonl"),
    wildcard_constraints:
        scorer=one_of(registry.scorer_names(config, "random")),
    params:
        settings=lambda w: settings(job_settings.random_scorer(job_config(w), w.scorer)),
    log:
        rep("logs", "{task}", "scores", "{split}", "{scorer}.log"),
    threads: stage_threads("light")
    resources:
        **stage_resources("light"),
    conda:
        "../envs/data.yaml"
    shell:
        "python \"$STEPWISE_SCRIPTS/random_scores.py\" --samples {input:q} --settings {params.settings:q}"
        " --out {output:q} > {log:q} 2>&1"


# Step scores of a task's samples by a public PRM (stepwise/scoring/public_prm.py); rules/prm800k.smk's
# aggregate_step_scores turns them into its solution-score columns.
rule public_prm_step_scores:
    input:
        samples=rep("{task}", "samples", "{split}.jsonl"),
        dataset=lambda w: problems_of(w.task, w.split),
        model=public_prm_folder,
    output:
        rep("{task}", "step_scores", "{split}", "{scorer}.jsonl"),
    wildcard_constraints:
        scorer=one_of(registry.scorer_names(config, "public_prm")),
    params:
        settings=lambda w: settings(job_settings.public_prm_scoring(config, w.scorer, w.task)),
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
        " --samples {input.samples:q} --task {wildcards.task} --dataset {input.dataset:q}"
        " --settings {params.settings:q} --out {output:q} > {log:q} 2>&1"
