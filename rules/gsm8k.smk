# Outcome verifier on GSM8K (Cobbe et al., 2021): generator SFT, samples of the
# training problems, a token-level verifier trained on their correctness, and
# best-of-N / voting on samples of the test problems.


rule sft_generator:
    input:
        base=results("models", "base.json"),
        dataset=lambda w: raw_dataset(f"{w.task}_train"),
    output:
        directory(results("models", "{task}_generator")),
    params:
        settings=lambda w: json.dumps(config[w.task]["sft"], sort_keys=True),
    log:
        results("logs", "models", "{task}_generator.log"),
    benchmark:
        results("benchmarks", "models", "{task}_generator.tsv")
    conda:
        "../envs/train.yaml"
    shell:
        "{PYTHON} {workflow.basedir}/scripts/sft_generator.py --task {wildcards.task} --dataset {input.dataset:q}"
        " --base {input.base:q} --settings {params.settings:q} --out {output:q} > {log:q} 2>&1"


rule gsm8k_train_verifier:
    input:
        generator=results("models", "gsm8k_generator"),
        dataset=raw_dataset("gsm8k_train"),
        samples=results("gsm8k", "samples", "train.jsonl"),
    output:
        directory(results("models", "gsm8k_verifier")),
    params:
        settings=json.dumps(config["gsm8k"]["verifier"], sort_keys=True),
    log:
        results("logs", "models", "gsm8k_verifier.log"),
    benchmark:
        results("benchmarks", "models", "gsm8k_verifier.tsv")
    conda:
        "../envs/train.yaml"
    shell:
        "{PYTHON} {workflow.basedir}/scripts/train_verifier.py --task gsm8k --dataset {input.dataset:q}"
        " --samples {input.samples:q} --generator {input.generator:q} --settings {params.settings:q}"
        " --out {output:q} > {log:q} 2>&1"


rule gsm8k_score_test:
    input:
        verifier=results("models", "gsm8k_verifier"),
        dataset=raw_dataset("gsm8k_test"),
        samples=results("gsm8k", "samples", "test.jsonl"),
    output:
        results("gsm8k", "scored_test.jsonl"),
    params:
        reduction=config["gsm8k"]["evaluation"]["score_reduction"],
    log:
        results("logs", "gsm8k", "score_test.log"),
    benchmark:
        results("benchmarks", "gsm8k", "score_test.tsv")
    conda:
        "../envs/train.yaml"
    shell:
        "{PYTHON} {workflow.basedir}/scripts/score_samples.py --task gsm8k --dataset {input.dataset:q}"
        " --samples {input.samples:q} --verifier {input.verifier:q} --column verifier"
        " --reduction {params.reduction} --out {output:q} > {log:q} 2>&1"


def gsm8k_methods():
    """The selection methods of the GSM8K table, under the names the table uses."""
    k = config["gsm8k"]["evaluation"]["top_k"]
    return [
        {"method": "greedy", "label": "greedy"},
        {"method": "majority", "label": "majority"},
        {"method": "best_of_n", "score": "verifier", "label": "verifier"},
        {"method": "weighted_majority", "score": "verifier", "label": "weighted_majority"},
        {"method": "top_k_vote", "score": "verifier", "k": k, "label": "topk_vote"},
        {"method": "pass_at_n", "label": "pass@n"},
    ]


rule gsm8k_evaluate:
    input:
        results("gsm8k", "scored_test.jsonl"),
    output:
        csv=report(
            results("gsm8k", "accuracy.csv"),
            caption="../report/gsm8k_table.rst",
            category="GSM8K outcome verifier",
        ),
        markdown=results("gsm8k", "accuracy.md"),
        selections=results("gsm8k", "selections.csv"),
        plot=report(
            results("gsm8k", "accuracy.png"),
            caption="../report/gsm8k_accuracy.rst",
            category="GSM8K outcome verifier",
        ),
    params:
        methods=json.dumps(gsm8k_methods()),
        trials=config["gsm8k"]["evaluation"]["trials"],
        seed=config["gsm8k"]["evaluation"]["seed"],
    log:
        results("logs", "gsm8k", "evaluate.log"),
    benchmark:
        results("benchmarks", "gsm8k", "evaluate.tsv")
    conda:
        "../envs/data.yaml"
    shell:
        "{PYTHON} {workflow.basedir}/scripts/evaluate.py --task gsm8k --samples {input:q} --methods {params.methods:q}"
        " --trials {params.trials} --seed {params.seed} --title 'GSM8K ({RUN}): accuracy against N'"
        " --csv {output.csv:q} --markdown {output.markdown:q} --selections {output.selections:q}"
        " --plot {output.plot:q} > {log:q} 2>&1"


rule gsm8k_verifier:
    input:
        rules.gsm8k_evaluate.output,
