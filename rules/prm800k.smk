# Process supervision on PRM800K (Lightman et al., 2023): raw label records to
# step-labelled examples for the process reward model (TRL stepwise JSONL), with
# MATH-500 problems kept out of training; a PRM trained from the MATH generator
# on them; its step scores of the MATH samples, aggregated per solution; its
# step-level metrics on held-out labels; and the next batch of training-problem
# solutions to label (active learning). The MATH generator, samples, ORM and
# table come from the generic rules (generator, sampling, outcome_verifier,
# evaluation); target `prm800k` builds the whole experiment.

PRM800K_PREPROCESS = config["prm800k"]["preprocess"]
PRM800K_ACTIVE_LEARNING = config["prm800k"]["active_learning"]
# Step metrics against the demo's ground truth when MATH-500 is the demo's,
# else against the PRM800K test split's human labels.
STEP_METRICS_ON_DEMO = config["data"]["math500"]["source"] == "demo"
PRM800K_CATEGORY = "PRM800K process reward model"


wildcard_constraints:
    scorer=r"[a-z0-9_]+_prm",


rule prm800k_preprocess:
    input:
        train=[raw_dataset(f"prm800k_phase{phase}_train") for phase in PRM800K_PREPROCESS["phases"]],
        test=[raw_dataset(f"prm800k_phase{phase}_test") for phase in PRM800K_PREPROCESS["phases"]],
        math500=raw_dataset("math500"),
    output:
        train=results("prm800k", "train.jsonl"),
        test=results("prm800k", "test.jsonl"),
        stats=report(
            results("prm800k", "stats.json"),
            caption="../report/prm800k_stats.rst",
            category=PRM800K_CATEGORY,
        ),
    params:
        settings=json.dumps(PRM800K_PREPROCESS, sort_keys=True),
    log:
        results("logs", "prm800k", "preprocess.log"),
    benchmark:
        results("benchmarks", "prm800k", "preprocess.tsv")
    threads: stage_threads("light")
    resources:
        **stage_resources("light"),
    conda:
        "../envs/data.yaml"
    shell:
        "python \"$STEPWISE_SCRIPTS/preprocess_prm800k.py\" --train {input.train:q} --test {input.test:q}"
        " --math500 {input.math500:q} --settings {params.settings:q} --out-train {output.train:q}"
        " --out-test {output.test:q} --stats {output.stats:q} > {log:q} 2>&1"


rule prm800k_train_prm:
    input:
        data=results("prm800k", "train.jsonl"),
        generator=results("models", "math_generator"),  # Lightman: the PRM starts from the generator's base model
    output:
        directory(results("models", "prm800k_prm")),
    params:
        # One key, prm800k.preprocess.neutral, says how a 0 rating counts in the data and in the PRM.
        settings=json.dumps({**config["prm800k"]["prm"], "neutral": PRM800K_PREPROCESS["neutral"]}, sort_keys=True),
        checkpoints=results("checkpoints", "prm800k_prm"),  # kept when the job restarts
    log:
        results("logs", "models", "prm800k_prm.log"),
    benchmark:
        results("benchmarks", "models", "prm800k_prm.tsv")
    threads: stage_threads("train")
    resources:
        **stage_resources("train"),
    conda:
        "../envs/train.yaml"
    shell:
        "python -m stepwise.launch --gpus {resources.gpu} --data-parallel \"$STEPWISE_SCRIPTS/train_prm.py\""
        " --data {input.data:q} --model {input.generator:q} --settings {params.settings:q} --out {output:q}"
        " --checkpoints {params.checkpoints:q} > {log:q} 2>&1"


rule prm800k_score_steps:
    input:
        prm=results("models", "prm800k_prm"),
        dataset=lambda w: raw_dataset(SAMPLE_SETS[("math", w.split)][0]),
        samples=results("math", "samples", "{split}.jsonl"),
    output:
        results("math", "step_scores", "{split}", "prm800k_prm.jsonl"),
    params:
        task="math",  # the samples' task and the score column: rules/shepherd.smk reuses this rule
        column="prm800k_prm",
    log:
        results("logs", "math", "step_scores", "{split}", "prm800k_prm.log"),
    benchmark:
        results("benchmarks", "math", "step_scores", "{split}", "prm800k_prm.tsv")
    threads: stage_threads("score")
    resources:
        **stage_resources("score"),
    conda:
        "../envs/train.yaml"
    shell:
        "python -m stepwise.launch --gpus {resources.gpu} \"$STEPWISE_SCRIPTS/score_steps.py\""
        " --samples {input.samples:q} --task {params.task} --dataset {input.dataset:q} --prm {input.prm:q}"
        " --column {params.column} --out {output:q} > {log:q} 2>&1"


rule aggregate_step_scores:
    input:
        results("{task}", "step_scores", "{split}", "{scorer}.jsonl"),
    output:
        results("{task}", "scores", "{split}", "{scorer}.jsonl"),
    params:
        aggregations=lambda w: " ".join(config[w.task]["evaluation"]["aggregations"]),
    log:
        results("logs", "{task}", "scores", "{split}", "{scorer}.log"),
    threads: stage_threads("light")
    resources:
        **stage_resources("light"),
    conda:
        "../envs/data.yaml"
    shell:
        "python \"$STEPWISE_SCRIPTS/aggregate_step_scores.py\" --samples {input:q} --column {wildcards.scorer}"
        " --aggregations {params.aggregations} --out {output:q} > {log:q} 2>&1"


rule prm800k_score_heldout:
    input:
        prm=results("models", "prm800k_prm"),
        data=results("prm800k", "test.jsonl"),
    output:
        results("prm800k", "test_scored.jsonl"),
    log:
        results("logs", "prm800k", "score_heldout.log"),
    benchmark:
        results("benchmarks", "prm800k", "score_heldout.tsv")
    threads: stage_threads("score")
    resources:
        **stage_resources("score"),
    conda:
        "../envs/train.yaml"
    shell:
        "python -m stepwise.launch --gpus {resources.gpu} \"$STEPWISE_SCRIPTS/score_steps.py\""
        " --stepwise {input.data:q} --prm {input.prm:q} --column prm800k_prm --out {output:q} > {log:q} 2>&1"


rule prm800k_step_metrics:
    input:
        **(
            {
                "samples": results("math", "samples", "test.jsonl"),
                "scores": results("math", "scores", "test", "prm800k_prm.jsonl"),
                "dataset": raw_dataset("math500"),
            }
            if STEP_METRICS_ON_DEMO
            else {"scored": results("prm800k", "test_scored.jsonl")}
        ),
    output:
        json=results("math", "prm_step_metrics.json"),
        markdown=report(
            results("math", "prm_step_metrics.md"),
            caption="../report/prm800k_step_metrics.rst",
            category=PRM800K_CATEGORY,
        ),
    params:
        title=(
            f"PRM step-level metrics ({RUN}): MATH test samples judged by the demo's ground truth"
            if STEP_METRICS_ON_DEMO
            else f"PRM step-level metrics ({RUN}): PRM800K test labels"
        ),
    log:
        results("logs", "math", "prm_step_metrics.log"),
    threads: stage_threads("light")
    resources:
        **stage_resources("light"),
    conda:
        "../envs/data.yaml"
    shell:
        "python \"$STEPWISE_SCRIPTS/step_metrics.py\""
        + (
            " --samples {input.samples:q} --scores {input.scores:q} --task math --dataset {input.dataset:q}"
            if STEP_METRICS_ON_DEMO
            else " --stepwise {input.scored:q}"
        )
        + " --column prm800k_prm --title {params.title:q} --json {output.json:q} --markdown {output.markdown:q}"
        " > {log:q} 2>&1"


rule prm800k_select_for_labelling:
    input:
        samples=results("math", "samples", "train.jsonl"),
        scores=results("math", "scores", "train", "prm800k_prm.jsonl"),
        dataset=raw_dataset(SAMPLE_SETS[("math", "train")][0]),
    output:
        results("prm800k", "to_label.jsonl"),
    params:
        score=f"prm800k_prm_{PRM800K_ACTIVE_LEARNING['aggregation']}",
        batch_size=PRM800K_ACTIVE_LEARNING["batch_size"],
        wrong_share=PRM800K_ACTIVE_LEARNING["wrong_share"],
        options=" ".join(
            f"--{name.replace('_', '-')} {PRM800K_ACTIVE_LEARNING[name]}"
            for name in ("max_per_problem", "generation")
            if PRM800K_ACTIVE_LEARNING.get(name) is not None
        ),
    log:
        results("logs", "prm800k", "select_for_labelling.log"),
    threads: stage_threads("light")
    resources:
        **stage_resources("light"),
    conda:
        "../envs/data.yaml"
    shell:
        "python \"$STEPWISE_SCRIPTS/select_for_labelling.py\" --samples {input.samples:q} --scores {input.scores:q}"
        " --dataset {input.dataset:q} --score {params.score} --batch-size {params.batch_size}"
        " --wrong-share {params.wrong_share} {params.options} --out {output:q} > {log:q} 2>&1"


rule prm800k:
    input:
        evaluation_outputs("math"),
        rules.prm800k_step_metrics.output,
        rules.prm800k_select_for_labelling.output,
        rules.prm800k_preprocess.output.stats,
