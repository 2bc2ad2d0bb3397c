# Raw datasets: each one generated (demo), downloaded (url) or copied (path),
# as its entry under `data:` in the config says.


rule raw_dataset:
    input:
        local_source,
    output:
        raw_dataset("{dataset}"),
    params:
        spec=lambda w: dataset_spec(w.dataset),
    log:
        results("logs", "data", "{dataset}.log"),
    benchmark:
        results("benchmarks", "data", "{dataset}.tsv")
    threads: stage_threads("light")
    resources:
        **stage_resources("light"),
    conda:
        "../envs/data.yaml"
    shell:
        "python \"$STEPWISE_SCRIPTS/get_dataset.py\" --spec {params.spec:q} --out {output:q} > {log:q} 2>&1"


rule raw_data:
    input:
        raw_datasets(),
