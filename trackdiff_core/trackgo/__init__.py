"""TrackGo (arXiv 2408.11475) for SVD: masks + arrows -> point trajectories -> a TrackAdapter in every temporal
self-attention. No code or weights of the paper are public; every open choice is documented in ``docs/trackgo.md``.

* :mod:`.config` — the hyper-parameters (``K``, ``s``, ``τ``, encoder widths, loss weight), stored in adapter files;
* :mod:`.inputs` — masks + arrows (document, STRING or TRACKS) -> trajectories (``MaskArrowToTrajectories``);
* :mod:`.raster` — trajectories -> displacement maps and the motion region at latent resolution;
* :mod:`.encoder` — ``E``, the conv pyramid over the displacement maps;
* :mod:`.adapter` — the per-layer trainable branch, the merge equation and the attention loss;
* :mod:`.guide`, :mod:`.runtime` — what the host's attention hooks call while the model runs;
* :mod:`.weights` — the versioned safetensors adapter format;
* :mod:`.cut_and_drag` — the experimental zero-weight guide video.

Nothing here imports ComfyUI.
"""

from .adapter import SiteSpec, TrackAdapter, attention_loss, merge_branches, sdpa_attention
from .config import TrackGoConfig
from .guide import MASKS_KEY, SIZE_KEY, TrackGoGuide
from .runtime import SiteCall, TrackGoRuntime
from .weights import check_adapter_fits, load_adapter, save_adapter

__all__ = [
    "MASKS_KEY",
    "SIZE_KEY",
    "SiteCall",
    "SiteSpec",
    "TrackAdapter",
    "TrackGoConfig",
    "TrackGoGuide",
    "TrackGoRuntime",
    "attention_loss",
    "check_adapter_fits",
    "load_adapter",
    "merge_branches",
    "save_adapter",
    "sdpa_attention",
]
