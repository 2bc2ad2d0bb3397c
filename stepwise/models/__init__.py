"""Base models: the demo's tiny model built from scratch, or a pretrained one."""
