# Outcome verifiers (ORMs): a token-level verifier trained from the task's
# generator on its samples of the training problems, labelled by final-answer
# correctness, then scoring the test samples into a score file of its own.
# GSM8K's is Cobbe et al.'s verifier; MATH's is the ORM baseline of Lightman et
# al. Both come from the same two rule definitions; each task's verifier name
# (model folder models/<task>_<name>, config section <task>.<name>, score column
# <name>) is its registry entry's `outcome_verifier`.


for task in registry.TASK_NAMES:
    name = registry.get_task(task).outcome_verifier

    rule:
        name:
            f"{task}_train_{name}"
        input:
            generator=rep("models", f"{task}_generator"),
            dataset=problems_of(task, "train"),
            samples=rep(task, "samples", "train.jsonl"),
        output:
            directory(rep("models", f"{task}_{name}")),
        params:
            task=task,
            settings=lambda w, task=task, name=name: settings(job_settings.outcome_verifier_training(job_config(w), task, name)),
            checkpoints=lambda w, task=task, name=name: in_rep(w, "checkpoints", f"{task}_{name}"),  # kept on restart
        log:
            rep("logs", "models", f"{task}_{name}.log"),
        benchmark:
            rep("benchmarks", "models", f"{task}_{name}.tsv")
        threads: stage_threads("train")
        resources:
            **stage_resources("train"),
        conda:
            "../envs/train.yaml"
        shell:
            "python -m stepwise.launch --gpus {resources.gpu} --data-parallel \"$STEPWISE_SCRIPTS/train_verifier.py\""
            " --task {params.task} --dataset {input.dataset:q} --samples {input.samples:q}"
            " --generator {input.generator:q} --settings {params.settings:q} --out {output:q}"
            " --checkpoints {params.checkpoints:q} > {log:q} 2>&1"

    rule:
        name:
            f"{task}_score_{name}"
        input:
            verifier=rep("models", f"{task}_{name}"),
            dataset=problems_of(task, "test"),
            samples=rep(task, "samples", "test.jsonl"),
        output:
            rep(task, "scores", "test", f"{name}.jsonl"),
        params:
            task=task,
            settings=lambda w, task=task, name=name: settings(job_settings.outcome_verifier_scoring(job_config(w), task, name)),
        log:
            rep("logs", task, "scores", f"{name}.log"),
        benchmark:
            rep("benchmarks", task, "scores", f"{name}.tsv")
        threads: stage_threads("score")
        resources:
            **stage_resources("score"),
        conda:
            "../envs/train.yaml"
        shell:
            "python -m stepwise.launch --gpus {resources.gpu} \"$STEPWISE_SCRIPTS/score_samples.py\""
            " --task {params.task} --dataset {input.dataset:q} --samples {input.samples:q}"
            " --verifier {input.verifier:q} --settings {params.settings:q} --out {output:q} > {log:q} 2>&1"
