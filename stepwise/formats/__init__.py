"""The text formats of solutions: prompts, steps and answer lines, and MATH reference solutions in steps."""
