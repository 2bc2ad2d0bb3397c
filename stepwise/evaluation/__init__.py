"""What a run measures: score tables of samples, accuracy against N, step metrics, ProcessBench's F1,
the spread over replicates, and the papers' claims."""
