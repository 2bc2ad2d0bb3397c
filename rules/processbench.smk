# ProcessBench (Zheng et al., 2024): does a PRM find the earliest wrong step of
# a solution? Every trained PRM of the run (the PRM800K PRM, the Math-Shepherd
# PRMs; stepwise.config.registry.process_reward_models) and every public PRM scorer
# (scorers: of kind public_prm) scores the steps of every subset's solutions; its prediction is the first step scored below the
# threshold, and F1 combines the accuracy on solutions with an error and on
# solutions without (stepwise/evaluation/processbench_f1.py). On the demo each task's test
# samples make a subset (per replicate: they are the replicate's samples), with
# first-error labels from the demo's ground truth; otherwise the benchmark's
# own subsets are downloaded or copied (processbench.subsets), shared by the
# replicates. Target `processbench`.

PROCESSBENCH_CATEGORY = "ProcessBench"


if PROCESSBENCH_ON_DEMO:

    rule processbench_demo_set:
        input:
            samples=rep("{subset}", "samples", "test.jsonl"),
            dataset=lambda w: problems_of(w.subset, "test"),
        output:
            rep("processbench", "sets", "{subset}.json"),
        wildcard_constraints:
            subset=one_of(registry.TASK_NAMES),
        params:
            settings=lambda w: settings(job_settings.processbench_demo_set(job_config(w), w.subset)),
        log:
            rep("logs", "processbench", "sets", "{subset}.log"),
        threads: stage_threads("light")
        resources:
            **stage_resources("light"),
        conda:
            "../envs/data.yaml"
        shell:
            "python \"$STEPWISE_SCRIPTS/processbench_set.py\" --task {wildcards.subset} --samples {input.samples:q}"
            " --dataset {input.dataset:q} --settings {params.settings:q} --out {output:q} > {log:q} 2>&1"

else:

    rule processbench_benchmark_set:
        input:
            lambda w: [PROCESSBENCH["subsets"][w.subset]["path"]] if PROCESSBENCH["source"] == "path" else [],
        output:
            results("processbench", "sets", "{subset}.json"),
        wildcard_constraints:
            subset=one_of(PROCESSBENCH_SUBSETS),
        params:
            settings=lambda w: settings(job_settings.processbench_subset(config, w.subset)),
        log:
            results("logs", "processbench", "sets", "{subset}.log"),
        threads: stage_threads("light")
        resources:
            **stage_resources("light"),
        conda:
            "../envs/data.yaml"
        shell:
            "python \"$STEPWISE_SCRIPTS/processbench_set.py\" --settings {params.settings:q} --out {output:q} > {log:q} 2>&1"


rule processbench_score:
    input:
        set=processbench_set,
        prm=rep("models", "{prm}"),
    output:
        rep("processbench", "scores", "{subset}", "{prm}.jsonl"),
    wildcard_constraints:
        subset=one_of(PROCESSBENCH_SUBSETS),
        prm=one_of(PROCESSBENCH_PRMS),
    params:
        task=lambda w: PROCESSBENCH_PRMS[w.prm],
        settings=lambda w: settings(job_settings.processbench_scoring(job_config(w))),
    log:
        rep("logs", "processbench", "scores", "{subset}", "{prm}.log"),
    benchmark:
        rep("benchmarks", "processbench", "scores", "{subset}", "{prm}.tsv")
    threads: stage_threads("score")
    resources:
        **stage_resources("score"),
    conda:
        "../envs/train.yaml"
    shell:
        "python -m stepwise.launch --gpus {resources.gpu} \"$STEPWISE_SCRIPTS/processbench_score.py\""
        " --set {input.set:q} --prm {input.prm:q} --task {params.task} --settings {params.settings:q}"
        " --out {output:q} > {log:q} 2>&1"


# A public PRM on the benchmark's own subsets scores the same records in every replicate: once, shared
# (on the demo each replicate's set is its own samples).
PUBLIC_PRM_SCORES = rep if PROCESSBENCH_ON_DEMO else results


rule processbench_public_score:
    input:
        set=processbench_set,
        model=public_prm_folder,
    output:
        PUBLIC_PRM_SCORES("processbench", "scores", "{subset}", "{scorer}.jsonl"),
    wildcard_constraints:
        subset=one_of(PROCESSBENCH_SUBSETS),
        scorer=one_of(PROCESSBENCH_PUBLIC_PRMS),
    params:
        settings=lambda w: settings(job_settings.public_prm_scoring(config, w.scorer)),
    log:
        PUBLIC_PRM_SCORES("logs", "processbench", "scores", "{subset}", "{scorer}.log"),
    benchmark:
        PUBLIC_PRM_SCORES("benchmarks", "processbench", "scores", "{subset}", "{scorer}.tsv")
    threads: stage_threads("score")
    resources:
        **stage_resources("score"),
    conda:
        "../envs/train.yaml"
    shell:
        "python -m stepwise.launch --gpus {resources.gpu} \"$STEPWISE_SCRIPTS/processbench_score.py\""
        " --set {input.set:q} --settings {params.settings:q} --out {output:q} > {log:q} 2>&1"


rule processbench_evaluate:
    input:
        processbench_scores,
    output:
        csv=report(rep("processbench", "f1.csv"), caption="../report/processbench.rst", category=PROCESSBENCH_CATEGORY),
        markdown=report(rep("processbench", "f1.md"), caption="../report/processbench.rst", category=PROCESSBENCH_CATEGORY),
        plot=report(rep("processbench", "f1.png"), caption="../report/processbench.rst", category=PROCESSBENCH_CATEGORY),
    params:
        settings=lambda w: settings(job_settings.processbench_evaluation(job_config(w), PROCESSBENCH_ENTRIES, rep_title(w))),
    log:
        rep("logs", "processbench", "evaluate.log"),
    threads: stage_threads("light")
    resources:
        **stage_resources("light"),
    conda:
        "../envs/data.yaml"
    shell:
        "python \"$STEPWISE_SCRIPTS/processbench_evaluate.py\" --scores {input:q} --settings {params.settings:q}"
        " --csv {output.csv:q} --markdown {output.markdown:q} --plot {output.plot:q} > {log:q} 2>&1"


rule processbench:
    input:
        [path for name in ("f1.csv", "f1.md", "f1.png") for path in every_rep("processbench", name)],
