# Test-time search (Snell et al., 2024): each task of search.tasks solves its
# test problems with its generator, guided step by step by a reward model of the
# task (search.guides: a trained PRM or the outcome verifier; stepwise/config/registry.py
# search_guide), by every method of search.methods at every budget, sharded over
# problems like sampling (a killed run redoes only the missing shards).
# Best-of-N by the same guide, drawn from the task's test samples, is the
# baseline. The evaluation compares them at their generated tokens, by difficulty
# level, and chooses the compute-optimal method per level. Target `test_time_search`.

SEARCH = config["search"]
SEARCH_CATEGORY = "Test-time search"


rule search_shard:
    input:
        model=rep("models", "{task}_generator"),
        guide=search_guide_model,
        dataset=lambda w: problems_of(w.task, "test"),
    output:
        rep("search", "{task}", "shards", "{method}", "shard-{shard}.jsonl"),
    wildcard_constraints:
        task=one_of(SEARCH["tasks"]),
        method=one_of(SEARCH["methods"]),
    params:
        settings=lambda w: settings(job_settings.search(job_config(w), w.task)),
    log:
        rep("logs", "search", "{task}", "{method}", "shard-{shard}.log"),
    benchmark:
        rep("benchmarks", "search", "{task}", "{method}", "shard-{shard}.tsv")
    threads: stage_threads("sample")
    resources:
        **stage_resources("sample"),  # the generator (vLLM: search.gpu_memory_utilization) and the guide on the job's GPUs
    conda:
        "../envs/search.yaml"
    shell:
        "python -m stepwise.launch --gpus {resources.gpu} \"$STEPWISE_SCRIPTS/search.py\" --task {wildcards.task}"
        " --model {input.model:q} --guide {input.guide:q} --dataset {input.dataset:q} --method {wildcards.method}"
        " --shard {wildcards.shard} --settings {params.settings:q} --gpus {resources.gpu} --out {output:q} > {log:q} 2>&1"


# The baseline: best-of-N by the guide's scores of the task's test samples (the guide's folder for
# counting the tokens it scored).
rule search_best_of_n:
    input:
        guide=search_guide_model,
        dataset=lambda w: problems_of(w.task, "test"),
        samples=rep("{task}", "samples", "test.jsonl"),
        scores=search_guide_scores,
    output:
        rep("search", "{task}", "best_of_n.jsonl"),
    wildcard_constraints:
        task=one_of(SEARCH["tasks"]),
    params:
        settings=lambda w: settings(job_settings.search_baseline(job_config(w), w.task)),
    log:
        rep("logs", "search", "{task}", "best_of_n.log"),
    threads: stage_threads("light")
    resources:
        **stage_resources("light"),
    conda:
        "../envs/search.yaml"
    shell:
        "python \"$STEPWISE_SCRIPTS/search.py\" --task {wildcards.task} --method best_of_n --guide {input.guide:q}"
        " --dataset {input.dataset:q} --samples {input.samples:q} --scores {input.scores:q}"
        " --settings {params.settings:q} --out {output:q} > {log:q} 2>&1"


rule search_evaluate:
    input:
        records=lambda w: [path for method in SEARCH["methods"] for path in shard_files(w, "search", w.task, "shards", method)]
        + [in_rep(w, "search", w.task, "best_of_n.jsonl")],
        samples=rep("{task}", "samples", "test.jsonl"),
        scores=search_guide_scores,
    output:
        accuracy_csv=report(rep("search", "{task}", "accuracy.csv"), caption="../report/search_accuracy.rst", category=SEARCH_CATEGORY),
        accuracy_markdown=report(rep("search", "{task}", "accuracy.md"), caption="../report/search_accuracy.rst", category=SEARCH_CATEGORY),
        plot=report(rep("search", "{task}", "accuracy.png"), caption="../report/search_accuracy.rst", category=SEARCH_CATEGORY),
        difficulty_csv=report(rep("search", "{task}", "difficulty.csv"), caption="../report/search_difficulty.rst", category=SEARCH_CATEGORY),
        difficulty_markdown=report(rep("search", "{task}", "difficulty.md"), caption="../report/search_difficulty.rst", category=SEARCH_CATEGORY),
        compute_optimal_csv=report(rep("search", "{task}", "compute_optimal.csv"), caption="../report/search_compute_optimal.rst", category=SEARCH_CATEGORY),
        compute_optimal_markdown=report(rep("search", "{task}", "compute_optimal.md"), caption="../report/search_compute_optimal.rst", category=SEARCH_CATEGORY),
        levels=report(rep("search", "{task}", "levels.csv"), caption="../report/search_difficulty.rst", category=SEARCH_CATEGORY),
        summary=report(rep("search", "{task}", "summary.json"), caption="../report/search_compute_optimal.rst", category=SEARCH_CATEGORY),
    wildcard_constraints:
        task=one_of(SEARCH["tasks"]),
    params:
        settings=lambda w: settings(job_settings.search_evaluation(job_config(w), w.task, rep_title(w))),
    log:
        rep("logs", "search", "{task}", "evaluate.log"),
    benchmark:
        rep("benchmarks", "search", "{task}", "evaluate.tsv")
    threads: stage_threads("light")
    resources:
        **stage_resources("light"),
    conda:
        "../envs/data.yaml"
    shell:
        "python \"$STEPWISE_SCRIPTS/search_evaluate.py\" --records {input.records:q} --samples {input.samples:q}"
        " --scores {input.scores:q} --settings {params.settings:q} --accuracy-csv {output.accuracy_csv:q}"
        " --accuracy-markdown {output.accuracy_markdown:q} --plot {output.plot:q}"
        " --difficulty-csv {output.difficulty_csv:q} --difficulty-markdown {output.difficulty_markdown:q}"
        " --compute-optimal-csv {output.compute_optimal_csv:q} --compute-optimal-markdown {output.compute_optimal_markdown:q}"
        " --levels {output.levels:q} --summary {output.summary:q} > {log:q} 2>&1"


rule test_time_search:
    input:
        expand(rules.search_evaluate.output, rep=REPLICATE_DIRS, task=SEARCH["tasks"]),
