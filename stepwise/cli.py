"""The command line every workflow script shares: files as flags, the job's config as one ``--settings`` JSON.

Rules pass every config value a job uses in ``--settings`` (rules/common.smk),
so a script has no defaults of its own: the config schema is the one source of
defaults, and a missing or misspelt key fails here, naming the key.
"""

from __future__ import annotations

import argparse
import json
import logging
from typing import Any

from stepwise.io import DataError


def job_parser(description: str | None) -> argparse.ArgumentParser:
    """An argument parser with the required ``--settings`` (a JSON object) already added."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--settings", required=True, type=_json_object, help="the job's config values as JSON")
    return parser


def parse_job(parser: argparse.ArgumentParser, argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line and set up logging; ``args.settings`` is the decoded JSON object."""
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    return args


def required(settings: dict[str, Any], *keys: str, where: str = "--settings") -> list[Any]:
    """The values of ``keys`` in ``settings``, failing with the missing keys named."""
    missing = [key for key in keys if key not in settings]
    if missing:
        raise DataError(f"{where}: missing key(s) {missing} (have {sorted(settings)})")
    return [settings[key] for key in keys]


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"not JSON: {error}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"expected a JSON object, got {type(value).__name__}")
    return value
