"""Test-time search guided by a reward model, step by step (Snell et al., 2024; search-and-learn).

* :mod:`~stepwise.search.step_generator`: continuations up to the next step on either sampling backend;
* :mod:`~stepwise.search.guides`: scorers of partial solutions (a trained PRM, the outcome verifier);
* :mod:`~stepwise.search.candidates`: partial and finished solutions, ranked by the guide;
* :mod:`~stepwise.search.beam_search`, :mod:`~stepwise.search.dvts`, :mod:`~stepwise.search.lookahead`:
  the search methods, driven by :mod:`~stepwise.search.runner` (all problems of a shard together);
* :mod:`~stepwise.search.best_of_n`: the baseline with the same guide, from existing samples;
* :mod:`~stepwise.search.records`: the output records.
"""
