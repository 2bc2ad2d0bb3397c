# Process supervision on PRM800K (Lightman et al., 2023): raw label records to
# step-labelled examples for the process reward model (TRL stepwise JSONL), with
# MATH-500 problems kept out of training; a PRM trained from the MATH generator
# on them; its step scores of the MATH samples, aggregated per solution; its
# step-level metrics on held-out labels; and the next batch of training-problem
# solutions to label (active learning). The MATH generator, samples, ORM and
# table come from the generic rules (generator, sampling, outcome_verifier,
# evaluation), its step scores from the generic rules/prm.smk. Target `prm800k`
# builds the whole experiment.

PRM800K_CATEGORY = "PRM800K process reward model"


rule prm800k_preprocess:
    input:
        train=[raw_dataset(f"prm800k_phase{phase}_train") for phase in config["prm800k"]["preprocess"]["phases"]],
        test=[raw_dataset(f"prm800k_phase{phase}_test") for phase in config["prm800k"]["preprocess"]["phases"]],
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
        settings=settings(job_settings.prm800k_preprocess(config)),
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


# PRM800K's second phase on the demo: the MATH generator's training samples rated step by step by the
# demo's truth, as PRM800K's labellers rated their generator's (prm800k.label_generator_samples).
rule prm800k_label_generator_samples:
    input:
        samples=rep("math", "samples", "train.jsonl"),
        dataset=problems_of("math", "train"),
    output:
        rep("prm800k", "generator_labels.jsonl"),
    params:
        settings=lambda w: settings(job_settings.generator_sample_labels(job_config(w))),
    log:
        rep("logs", "prm800k", "generator_labels.log"),
    threads: stage_threads("light")
    resources:
        **stage_resources("light"),
    conda:
        "../envs/data.yaml"
    shell:
        "python \"$STEPWISE_SCRIPTS/label_generator_samples.py\" --samples {input.samples:q} --task math"
        " --dataset {input.dataset:q} --settings {params.settings:q} --out {output:q} > {log:q} 2>&1"


rule prm800k_train_prm:
    input:
        data=[results("prm800k", "train.jsonl")]  # shared by the replicates
        + ([rep("prm800k", "generator_labels.jsonl")] if job_settings.prm800k_labels_generator_samples(config) else []),
        generator=rep("models", "math_generator"),  # Lightman: the PRM starts from the generator's base model
    output:
        directory(rep("models", "prm800k_prm")),
    params:
        # One key, prm800k.preprocess.neutral, says how a 0 rating counts in the data and in the PRM.
        settings=lambda w: settings(job_settings.prm800k_prm(job_config(w))),
        checkpoints=lambda w: in_rep(w, "checkpoints", "prm800k_prm"),  # kept when the job restarts
    log:
        rep("logs", "models", "prm800k_prm.log"),
    benchmark:
        rep("benchmarks", "models", "prm800k_prm.tsv")
    threads: stage_threads("train")
    resources:
        **stage_resources("train"),
    conda:
        "../envs/train.yaml"
    shell:
        "python -m stepwise.launch --gpus {resources.gpu} --data-parallel \"$STEPWISE_SCRIPTS/train_prm.py\""
        " --data {input.data:q} --model {input.generator:q} --settings {params.settings:q} --out {output:q}"
        " --checkpoints {params.checkpoints:q} > {log:q} 2>&1"


rule prm800k_score_heldout:
    input:
        prm=rep("models", "prm800k_prm"),
        data=results("prm800k", "test.jsonl"),
    output:
        rep("prm800k", "test_scored.jsonl"),
    params:
        settings=settings(job_settings.step_scoring(config, "prm800k_prm")),
    log:
        rep("logs", "prm800k", "score_heldout.log"),
    benchmark:
        rep("benchmarks", "prm800k", "score_heldout.tsv")
    threads: stage_threads("score")
    resources:
        **stage_resources("score"),
    conda:
        "../envs/train.yaml"
    shell:
        "python -m stepwise.launch --gpus {resources.gpu} \"$STEPWISE_SCRIPTS/score_steps.py\""
        " --stepwise {input.data:q} --prm {input.prm:q} --settings {params.settings:q} --out {output:q} > {log:q} 2>&1"


# Step-level metrics of the PRM800K PRM: on the demo, of the MATH test samples
# against the demo's ground truth (math/prm_step_metrics.*); with real data, of
# the PRM800K test split against its human labels (prm800k/test_step_metrics.*).
# Target `prm800k` asks for the one its MATH-500 source allows.


rule prm800k_step_metrics_on_demo:
    input:
        samples=rep("math", "samples", "test.jsonl"),
        scores=rep("math", "scores", "test", "prm800k_prm.jsonl"),
        dataset=raw_dataset("math500"),
    output:
        json=rep("math", "prm_step_metrics.json"),
        markdown=report(
            rep("math", "prm_step_metrics.md"),
            caption="../report/prm800k_step_metrics.rst",
            category=PRM800K_CATEGORY,
        ),
    params:
        settings=settings(job_settings.step_metrics(config, "MATH test samples judged by the demo's ground truth", "math")),
    log:
        rep("logs", "math", "prm_step_metrics.log"),
    threads: stage_threads("light")
    resources:
        **stage_resources("light"),
    conda:
        "../envs/data.yaml"
    shell:
        "python \"$STEPWISE_SCRIPTS/step_metrics.py\" --samples {input.samples:q} --scores {input.scores:q}"
        " --task math --dataset {input.dataset:q} --settings {params.settings:q} --json {output.json:q}"
        " --markdown {output.markdown:q} > {log:q} 2>&1"


rule prm800k_step_metrics_on_labels:
    input:
        scored=rep("prm800k", "test_scored.jsonl"),
    output:
        json=rep("prm800k", "test_step_metrics.json"),
        markdown=report(
            rep("prm800k", "test_step_metrics.md"),
            caption="../report/prm800k_step_metrics.rst",
            category=PRM800K_CATEGORY,
        ),
    params:
        settings=settings(job_settings.step_metrics(config, "PRM800K test labels")),
    log:
        rep("logs", "prm800k", "test_step_metrics.log"),
    threads: stage_threads("light")
    resources:
        **stage_resources("light"),
    conda:
        "../envs/data.yaml"
    shell:
        "python \"$STEPWISE_SCRIPTS/step_metrics.py\" --stepwise {input.scored:q} --settings {params.settings:q}"
        " --json {output.json:q} --markdown {output.markdown:q} > {log:q} 2>&1"


rule prm800k_select_for_labelling:
    input:
        samples=rep("math", "samples", "train.jsonl"),
        scores=rep("math", "scores", "train", "prm800k_prm.jsonl"),
        dataset=problems_of("math", "train"),
    output:
        rep("prm800k", "to_label.jsonl"),
    params:
        settings=settings(job_settings.active_learning(config)),
    log:
        rep("logs", "prm800k", "select_for_labelling.log"),
    threads: stage_threads("light")
    resources:
        **stage_resources("light"),
    conda:
        "../envs/data.yaml"
    shell:
        "python \"$STEPWISE_SCRIPTS/select_for_labelling.py\" --samples {input.samples:q} --scores {input.scores:q}"
        " --dataset {input.dataset:q} --settings {params.settings:q} --out {output:q} > {log:q} 2>&1"


rule prm800k:
    input:
        evaluation_outputs("math"),
        [path for name in job_settings.step_metrics_files(config) for path in every_rep(name)],
        every_rep("prm800k", "to_label.jsonl"),
        rules.prm800k_preprocess.output.stats,
