"""Math-Shepherd: step labels from completions (Wang et al., 2024; methods.md section 3).

For each step prefix of a candidate solution a completer samples N
continuations and grades them against the golden answer: the *hard* estimate
says whether any reaches it, the *soft* one which fraction does.

* :mod:`~stepwise.shepherd.candidates`: sample records -> candidate solutions split into steps;
* :mod:`~stepwise.shepherd.completer`: continuations of step prefixes, graded, with token counts;
* :mod:`~stepwise.shepherd.strategies`: the ``linear`` (every prefix) and ``binary`` (first-error search) strategies;
* :mod:`~stepwise.shepherd.records`: the labelled-solution records of shard files, and conversion to
  :class:`~stepwise.data.stepwise_formats.StepwiseExample` (Math-Shepherd and TRL files);
* :mod:`~stepwise.shepherd.stats`: label statistics, and label quality against the demo's ground truth;
* :mod:`~stepwise.shepherd.compare`: the two strategies on the same solutions (cost, agreement, quality).
"""

from stepwise.shepherd.candidates import Candidate, candidates_from_samples
from stepwise.shepherd.completer import Completer, PrefixEstimate
from stepwise.shepherd.strategies import STRATEGIES, StepLabels, label_binary, label_linear

__all__ = [
    "STRATEGIES",
    "Candidate",
    "Completer",
    "PrefixEstimate",
    "StepLabels",
    "candidates_from_samples",
    "label_binary",
    "label_linear",
]
