"""TrackGo adapter files: TrackDiff's versioned safetensors format (never pickle).

A file holds the :class:`~trackdiff_core.trackgo.adapter.TrackAdapter`'s state dict (``encoder.*`` for ``E``,
``sites.<site>.*`` for each temporal layer's branch) and string metadata:

=====================  =============================================================================================
``format``             ``"trackdiff.trackgo_adapter"``
``format_version``     ``"1"``
``config``             :class:`~trackdiff_core.trackgo.config.TrackGoConfig` as JSON (every hyper-parameter)
``sites``              JSON list of ``{key, channels, n_heads, d_head, level}``: the model layout it was trained for
``K``, ``s``, ``tau``  the point sampling and suppression it was trained with (also inside ``config``)
``frames``, ``size``   the training clips' frame count and ``WIDTHxHEIGHT``
``steps``              training steps taken
=====================  =============================================================================================

Loading checks all of it and raises :class:`TrackDiffError` naming the file and the fix for a pickle, a truncated or
corrupt file, another kind of weights, a missing, unexpected or misshapen tensor, or non-finite values.
"""

from __future__ import annotations

import json
import os

import torch

from ..errors import TrackDiffError
from ..safetensors_file import open_safetensors
from .adapter import SiteSpec, TrackAdapter
from .config import TrackGoConfig

FORMAT = "trackdiff.trackgo_adapter"
FORMAT_VERSION = "1"


def adapter_metadata(adapter: TrackAdapter, steps: int = 0) -> dict[str, str]:
    config = adapter.config
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "config": config.to_json(),
        "sites": json.dumps([s.to_dict() for s in adapter.site_specs.values()]),
        "K": str(config.points_k),
        "s": str(config.points_s),
        "tau": repr(float(config.tau)),
        "frames": str(config.frames),
        "size": f"{config.width}x{config.height}",
        "steps": str(int(steps)),
    }


def save_adapter(adapter: TrackAdapter, path: str, steps: int = 0, extra_metadata: dict | None = None) -> str:
    """Write ``adapter`` to ``path`` (atomically: a half-written file never replaces a good one)."""
    from safetensors.torch import save_file

    state = {k: v.detach().to("cpu").contiguous() for k, v in adapter.state_dict().items()}
    metadata = adapter_metadata(adapter, steps)
    for key, value in (extra_metadata or {}).items():
        metadata[str(key)] = str(value)
    tmp = f"{path}.tmp"
    save_file(state, tmp, metadata=metadata)
    os.replace(tmp, path)
    return path


def read_safetensors(path: str, name: str | None = None, field: str = "adapter file") -> tuple[dict[str, torch.Tensor],
                                                                                          dict[str, str]]:
    """All tensors and the metadata of ``path``, through the pack's one safetensors reader (a true message for a
    missing, empty, truncated, pickled or non-safetensors file; ``field`` names the input, e.g. ``"clip file"``)."""
    name = name or os.path.basename(path)
    fixes = {"default": "download or copy it again",
             "missing": "put the file in models/trackdiff/ and refresh",
             "pickle": "convert it to .safetensors with trusted tools, or train an adapter with python -m "
                       "trackdiff_core.training",
             "not_safetensors": "choose a TrackGo adapter .safetensors file (python -m trackdiff_core.training writes them)"}
    with open_safetensors(path, field, name, fixes) as handle:
        metadata = dict(handle.metadata() or {})
        tensors = {key: handle.get_tensor(key) for key in handle.keys()}
    return tensors, metadata


def load_adapter(path: str, name: str | None = None) -> TrackAdapter:
    """The :class:`TrackAdapter` stored in ``path`` (see the module docstring for what is checked)."""
    name = name or os.path.basename(path)
    tensors, metadata = read_safetensors(path, name)
    kind = metadata.get("format")
    if kind != FORMAT:
        other = f' (its format is "{kind}")' if kind else " (it has no TrackDiff format metadata)"
        raise TrackDiffError("adapter file", name, f"is not a TrackGo adapter{other}",
                             "pick a TrackGo adapter trained with python -m trackdiff_core.training --task trackgo")
    if metadata.get("format_version") != FORMAT_VERSION:
        raise TrackDiffError("adapter file", name, f"has format version {metadata.get('format_version')!r}; this "
                             f"TrackDiff reads version {FORMAT_VERSION}", "update TrackDiff")
    config = TrackGoConfig.from_json(metadata.get("config", ""), f"{name}: config")
    try:
        sites = json.loads(metadata.get("sites", ""))
    except json.JSONDecodeError:
        sites = None
    if not isinstance(sites, list) or not sites:
        raise TrackDiffError("adapter file", name, "has no site list in its metadata", "re-save it with this version")
    adapter = TrackAdapter([SiteSpec.from_dict(s, f"{name}: sites") for s in sites], config)
    expected = adapter.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    if missing or unexpected:
        problem = f"lacks tensor {missing[0]}" if missing else f"has an unexpected tensor {unexpected[0]}"
        count = len(missing) + len(unexpected)
        raise TrackDiffError("adapter file", name, f"{problem} ({count} mismatched in all)",
                             "use a file written by this version's trainer")
    for key, value in tensors.items():
        if tuple(value.shape) != tuple(expected[key].shape):
            raise TrackDiffError("adapter file", name, f"tensor {key} has shape {tuple(value.shape)}, expected "
                                 f"{tuple(expected[key].shape)}", "use a file written by this version's trainer")
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            raise TrackDiffError("adapter file", name, f"tensor {key} contains NaN or infinity",
                                 "re-train, or resume from an earlier checkpoint")
    adapter.load_state_dict({k: v.to(expected[k].dtype) for k, v in tensors.items()})
    adapter.eval()
    adapter.requires_grad_(False)
    adapter.trained_steps = int(metadata.get("steps", "0") or 0)
    return adapter


def check_adapter_fits(adapter: TrackAdapter, sites: list[SiteSpec], name: str = "adapter") -> None:
    """Raise unless ``adapter`` has a branch of the right shape for exactly these temporal layers."""
    mine = {k: (s.channels, s.n_heads, s.d_head, s.level) for k, s in adapter.site_specs.items()}
    model = {s.key: (s.channels, s.n_heads, s.d_head, s.level) for s in sites}
    if mine != model:
        widths = sorted({v[0] for v in mine.values()})
        model_widths = sorted({v[0] for v in model.values()})
        differing = sorted(set(mine) ^ set(model)) or sorted(k for k in mine if mine[k] != model[k])
        raise TrackDiffError(
            name, f"trained for temporal widths {widths}", f"does not fit this model (widths {model_widths}; first "
            f"differing layer {differing[0]})", "use an adapter trained for this SVD model",
        )
