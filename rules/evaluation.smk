# Accuracy against N for every selection method of a task: the test samples,
# with the score file of every scorer of the task (stepwise/config/registry.py) joined
# to them on (problem_id, sample_id). A new scorer joins a task's table through
# its registry entry; no rule here changes.

rule evaluate:
    input:
        samples=rep("{task}", "samples", "test.jsonl"),
        scores=lambda w: [in_rep(w, path) for path in registry.score_files(job_config(w), w.task)],
    output:
        csv=report(
            rep("{task}", "accuracy.csv"),
            caption="../report/accuracy_table.rst",
            category=lambda w: registry.get_task(w.task).report_category,
        ),
        markdown=rep("{task}", "accuracy.md"),
        selections=rep("{task}", "selections.csv"),
        plot=report(
            rep("{task}", "accuracy.png"),
            caption="../report/accuracy_plot.rst",
            category=lambda w: registry.get_task(w.task).report_category,
        ),
    params:
        settings=lambda w: settings(job_settings.evaluation(job_config(w), w.task, rep_title(w))),
    log:
        rep("logs", "{task}", "evaluate.log"),
    benchmark:
        rep("benchmarks", "{task}", "evaluate.tsv")
    threads: stage_threads("light")
    resources:
        **stage_resources("light"),
    conda:
        "../envs/data.yaml"
    shell:
        "python \"$STEPWISE_SCRIPTS/evaluate.py\" --task {wildcards.task} --samples {input.samples:q}"
        " --scores {input.scores:q} --settings {params.settings:q} --csv {output.csv:q}"
        " --markdown {output.markdown:q} --selections {output.selections:q} --plot {output.plot:q} > {log:q} 2>&1"


# With several replicates: each task's tables over replicates, mean and spread per method and N.
rule replicate_accuracy:
    input:
        lambda w: every_rep(w.task, "accuracy.csv"),
    output:
        csv=report(
            results("{task}", "accuracy_replicates.csv"),
            caption="../report/accuracy_replicates.rst",
            category=lambda w: registry.get_task(w.task).report_category,
        ),
        markdown=results("{task}", "accuracy_replicates.md"),
        plot=report(
            results("{task}", "accuracy_replicates.png"),
            caption="../report/accuracy_replicates.rst",
            category=lambda w: registry.get_task(w.task).report_category,
        ),
    params:
        settings=lambda w: settings(job_settings.replicate_summary(w.task, f"{RUN}, {len(REPLICATE_DIRS)} replicates")),
    log:
        results("logs", "{task}", "accuracy_replicates.log"),
    threads: stage_threads("light")
    resources:
        **stage_resources("light"),
    conda:
        "../envs/data.yaml"
    shell:
        "python \"$STEPWISE_SCRIPTS/summarise_replicates.py\" --tables {input:q} --settings {params.settings:q}"
        " --csv {output.csv:q} --markdown {output.markdown:q} --plot {output.plot:q} > {log:q} 2>&1"


# Every task's table in one, with a task column, and their plots side by side
# (with several replicates: their summaries, mean and spread over replicates).
rule combined_accuracy:
    input:
        [results(task, "accuracy_replicates.csv" if len(REPLICATE_DIRS) > 1 else "accuracy.csv")
         for task in registry.TASK_NAMES],
    output:
        csv=report(results("combined_accuracy.csv"), caption="../report/combined_accuracy.rst", category="Summary"),
        plot=report(results("combined_accuracy.png"), caption="../report/combined_accuracy.rst", category="Summary"),
    params:
        settings=settings(job_settings.combined_accuracy(RUN)),
    log:
        results("logs", "combined_accuracy.log"),
    threads: stage_threads("light")
    resources:
        **stage_resources("light"),
    conda:
        "../envs/data.yaml"
    shell:
        "python \"$STEPWISE_SCRIPTS/combine_accuracy.py\" --tables {input:q} --settings {params.settings:q}"
        " --csv {output.csv:q} --plot {output.plot:q} > {log:q} 2>&1"


# The papers' claims the run tests (stepwise/evaluation/claims.py), at claims.n in every replicate: each task's
# accuracy tables, the search tables and the Math-Shepherd label statistics. First in the report:
# its category sorts before the others.
CLAIMS_CATEGORY = "Claims"


rule claims:
    input:
        accuracy=each_task_every_rep(registry.TASK_NAMES, "{task}", "accuracy.csv"),
        search=each_task_every_rep(config["search"]["tasks"], "search", "{task}", "accuracy.csv"),
        stats=each_task_every_rep(config["shepherd"]["tasks"], "shepherd", "{task}", "stats.json"),
    output:
        csv=report(results("claims.csv"), caption="../report/claims.rst", category=CLAIMS_CATEGORY),
        markdown=report(results("claims.md"), caption="../report/claims.rst", category=CLAIMS_CATEGORY),
    params:
        settings=settings(job_settings.claims(config)),
    log:
        results("logs", "claims.log"),
    threads: stage_threads("light")
    resources:
        **stage_resources("light"),
    conda:
        "../envs/data.yaml"
    shell:
        "python \"$STEPWISE_SCRIPTS/claims.py\" --accuracy {input.accuracy:q} --search {input.search:q}"
        " --stats {input.stats:q} --settings {params.settings:q} --csv {output.csv:q}"
        " --markdown {output.markdown:q} > {log:q} 2>&1"


# The configuration this run's results came from, as a page of the report.
rule run_config:
    output:
        report(results("config.yaml"), caption="../report/config.rst", category="Configuration"),
    params:
        *config_entries(config),  # one per key: a config change rewrites the page, and the rerun reason names the key
    log:
        results("logs", "config.log"),
    localrule: True
    conda:
        "../envs/data.yaml"
    shell:
        "python \"$STEPWISE_SCRIPTS/write_config.py\" --entries {params:q} --out {output:q} > {log:q} 2>&1"
