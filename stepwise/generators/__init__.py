"""A task's generator: how it is prompted and read (fine-tuned or pretrained), and its SFT data."""
