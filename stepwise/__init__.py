"""Step-by-step verification of math reasoning: the library behind the workflow."""

__version__ = "0.1.0"
