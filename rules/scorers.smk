# Scorers declared under the config's `scorers:` (stepwise.registry.SCORER_KINDS):
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
        settings=lambda w: settings({"column": w.scorer, "seed": job_settings.configured_scorer(rep_config(w), w.scorer)["seed"]}),
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
