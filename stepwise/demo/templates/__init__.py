"""The demo's problem templates, grouped by family (see :mod:`stepwise.demo.gsm8k` and
:mod:`stepwise.demo.math` for how a template's draft becomes a problem).

Templates register themselves when their module is imported, and the order of the
registries is part of every seeded draw: the modules are imported here, in a fixed order.
"""

from stepwise.demo.templates import gsm8k_stories  # noqa: I001 -- the forward stories first, then:
from stepwise.demo.templates import gsm8k_checks  # the templates whose solutions check themselves
from stepwise.demo.templates import math_algebra  # MATH: Algebra and Prealgebra, then
from stepwise.demo.templates import math_geometry_numbers  # Geometry and Number Theory, then
from stepwise.demo.templates import math_counting  # Counting & Probability
from stepwise.demo.templates.gsm8k_base import TEMPLATES as GSM8K_TEMPLATES
from stepwise.demo.templates.math_base import TEMPLATES as MATH_TEMPLATES

__all__ = ["GSM8K_TEMPLATES", "MATH_TEMPLATES", "gsm8k_checks", "gsm8k_stories", "math_algebra", "math_counting",
           "math_geometry_numbers"]
