"""Headless batch generation: drive running ComfyUI servers over HTTP to turn images + tracks into a labelled
video dataset (``python -m trackdiff_core.batch --help``). Uses only the standard library's HTTP client."""
