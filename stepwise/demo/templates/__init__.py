"""The demo's problem templates, one module per family. Each template is a function made a
:class:`~stepwise.demo.templates.gsm8k_base.Template` (GSM8K) or
:class:`~stepwise.demo.templates.math_base.MathTemplate` (MATH) by its module's ``template`` decorator;
the generators :mod:`stepwise.demo.gsm8k` and :mod:`stepwise.demo.math` hold the template tables, in the
order their seeded draws depend on.

GSM8K-style word problems (``gsm8k_base``: drafts, steps, the decorator):

- ``gsm8k_stories`` -- the 16 forward stories: the solution computes forward from the stated quantities.
- ``gsm8k_checks`` -- the templates whose solutions check their own answer: ``start_amount`` (undo a story,
  then replay it) and ``pair_total`` (guess a pair, then check it against the stated total).

MATH-style problems in LaTeX (``math_base``: drafts with their steps, the decorator), by MATH subject:

- ``math_algebra`` -- Algebra and Prealgebra.
- ``math_geometry_numbers`` -- Geometry and Number Theory.
- ``math_counting`` -- Counting & Probability, including ``color_pair`` (a guessed pair and its check).
"""
