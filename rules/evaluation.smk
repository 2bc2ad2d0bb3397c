# Accuracy against N for every selection method of a task: the test samples,
# with every scorer's score file joined to them on (problem_id, sample_id).
# A new scorer (e.g. a Math-Shepherd PRM) joins a task's table by appending its
# score file to EVALUATION_SCORES[task] and its methods to evaluation_methods
# (rules/common.smk).

EVALUATION_SCORES = {
    "gsm8k": [results("gsm8k", "scores", "test", f"{OUTCOME_VERIFIERS['gsm8k']}.jsonl")],
    "math": [
        results("math", "scores", "test", f"{OUTCOME_VERIFIERS['math']}.jsonl"),
        results("math", "scores", "test", "prm800k_prm.jsonl"),
    ],
}

EVALUATION_TITLES = {"gsm8k": "GSM8K", "math": "MATH"}
REPORT_CATEGORIES = {"gsm8k": "GSM8K outcome verifier", "math": "PRM800K process reward model"}


check_math_score_columns()


rule evaluate:
    input:
        samples=results("{task}", "samples", "test.jsonl"),
        scores=lambda w: EVALUATION_SCORES[w.task],
    output:
        csv=report(
            results("{task}", "accuracy.csv"),
            caption="../report/accuracy_table.rst",
            category=lambda w: REPORT_CATEGORIES[w.task],
        ),
        markdown=results("{task}", "accuracy.md"),
        selections=results("{task}", "selections.csv"),
        plot=report(
            results("{task}", "accuracy.png"),
            caption="../report/accuracy_plot.rst",
            category=lambda w: REPORT_CATEGORIES[w.task],
        ),
    params:
        methods=lambda w: json.dumps(evaluation_methods(w.task)),
        trials=lambda w: config[w.task]["evaluation"]["trials"],
        seed=lambda w: config[w.task]["evaluation"]["seed"],
        title=lambda w: f"{EVALUATION_TITLES[w.task]} ({RUN}): accuracy against N",
    log:
        results("logs", "{task}", "evaluate.log"),
    benchmark:
        results("benchmarks", "{task}", "evaluate.tsv")
    threads: stage_threads("light")
    resources:
        **stage_resources("light"),
    conda:
        "../envs/data.yaml"
    shell:
        "python \"$STEPWISE_SCRIPTS/evaluate.py\" --task {wildcards.task} --samples {input.samples:q}"
        " --scores {input.scores:q} --methods {params.methods:q} --trials {params.trials} --seed {params.seed}"
        " --title {params.title:q} --csv {output.csv:q} --markdown {output.markdown:q}"
        " --selections {output.selections:q} --plot {output.plot:q} > {log:q} 2>&1"


# Every task's table in one, with a task column, and their plots side by side.
rule combined_accuracy:
    input:
        **{task: results(task, "accuracy.csv") for task in EVALUATION_TITLES},
    output:
        csv=report(results("combined_accuracy.csv"), caption="../report/combined_accuracy.rst", category="Summary"),
        plot=report(results("combined_accuracy.png"), caption="../report/combined_accuracy.rst", category="Summary"),
    params:
        tables=lambda w, input: " ".join(shlex.quote(f"{task}={input[task]}") for task in EVALUATION_TITLES),
        title=f"Accuracy against N ({RUN})",
    log:
        results("logs", "combined_accuracy.log"),
    threads: stage_threads("light")
    resources:
        **stage_resources("light"),
    conda:
        "../envs/data.yaml"
    shell:
        "python \"$STEPWISE_SCRIPTS/combine_accuracy.py\" --tables {params.tables} --title {params.title:q}"
        " --csv {output.csv:q} --plot {output.plot:q} > {log:q} 2>&1"


# The configuration this run's results came from, as a page of the report.
rule run_config:
    output:
        report(results("config.yaml"), caption="../report/config.rst", category="Configuration"),
    params:
        config=json.dumps(config, sort_keys=True),  # any config change rewrites the page, and nothing else
    log:
        results("logs", "config.log"),
    localrule: True
    conda:
        "../envs/data.yaml"
    shell:
        "python \"$STEPWISE_SCRIPTS/write_config.py\" --config {params.config:q} --out {output:q} > {log:q} 2>&1"
