# Raw datasets: each one generated (demo), downloaded (url) or copied (path),
# as its entry under `data:` in the config says.


rule raw_dataset:
    input:
        lambda w: job_settings.local_source(config, w.dataset),  # a changed local file reruns the copy
    output:
        raw_dataset("{dataset}"),
    params:
        settings=lambda w: settings(dataset_spec(config, w.dataset)),
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
        "python \"$STEPWISE_SCRIPTS/get_dataset.py\" --settings {params.settings:q} --out {output:q} > {log:q} 2>&1"


rule raw_data:
    input:
        raw_datasets(),
