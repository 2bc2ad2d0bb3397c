# Raw datasets: each one generated (demo), downloaded (url) or copied (path),
# as its entry under `data:` in the config says.

import json


def dataset_spec(name):
    """The config that one dataset depends on, and nothing else.

    It travels to the script as a rule parameter, so editing, say, the MATH demo
    knobs reruns the MATH datasets but not GSM8K.
    """
    source = config["data"][name]
    spec = {"dataset": name, "source": source}
    if source["source"] == "demo":
        kind, split = dataset_kind(name)
        demo = config["demo"]
        spec.update(seed=demo["seed"], n=demo[kind][split])
        spec[f"{kind}_knobs"] = demo[kind].get("knobs", {})
        if kind == "prm800k":  # PRM800K demo records are labelled MATH-style solutions
            spec["math_knobs"] = demo["math"].get("knobs", {})
    return json.dumps(spec, sort_keys=True)


def local_source(wildcards):
    """A `path` source is an input, so a changed local file reruns the copy."""
    source = config["data"][wildcards.dataset]
    return [source["path"]] if source["source"] == "path" else []


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
    conda:
        "../envs/data.yaml"
    shell:
        "{PYTHON} {workflow.basedir}/scripts/get_dataset.py --spec {params.spec:q} --out {output:q} > {log:q} 2>&1"


rule raw_data:
    input:
        raw_datasets(),
