"""TrackGo at run time: what the host's attention hooks call in each temporal self-attention.

The host (ComfyUI's patches in ``nodes/trackgo_patch.py``, or a training backend) calls, for every temporal
self-attention of every model call,

1. :meth:`TrackGoRuntime.branch` with the attention's input ``n`` (before the frozen attention runs), which returns the
   trainable branch's output ``Δ`` for the conditional rows (or ``None`` without an adapter), and
2. :meth:`TrackGoRuntime.merge` with the frozen attention's output ``y`` and that ``Δ``, which returns the merged output.

Rows of unconditional chunks (classifier-free guidance's negative) are returned untouched: the unconditional
prediction is stock SVD, so guidance pushes towards the trajectories (as TrackDiffusion's unconditional half sees no
boxes). The displacement maps, ``E``'s features and the merge masks are built once per sampling run and cached, keyed
by frame count, latent size, device and dtype; in training they are rebuilt every call (``E`` is learning).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..errors import TrackDiffError
from .adapter import AttentionFn, TrackAdapter, attention_loss, sdpa_attention, suppression_scale
from .config import TrackGoConfig, check_tau
from .guide import TrackGoGuide
from .raster import level_sizes, motion_region, pool_region, rasterize

@dataclass
class SiteCall:
    """What one temporal self-attention call looks like (built by the host from its call context)."""

    frames: int  # T
    kinds: list[int]  # per chunk of the batch: 0 conditional, 1 unconditional
    height: int  # the site's token grid (h, w)
    width: int
    latent_height: int  # the model input's latent size (level 0)
    latent_width: int
    attention: AttentionFn = sdpa_attention
    appearance: torch.Tensor | None = None  # [C, H, W]: the first frame's latent (an adapter with appearance reads it)
    call_id: int = 0  # which model call this is (the host's serial): the appearance is compared once per call

    def chunk_rows(self, rows: int) -> int:
        per_chunk = self.height * self.width
        if per_chunk * len(self.kinds) != rows:
            raise TrackDiffError(
                "temporal attention", f"{rows} rows", f"do not split into {len(self.kinds)} chunks of {self.height}×"
                f"{self.width} locations", "report this: the model batches frames in a way TrackGo does not know",
            )
        return per_chunk


@dataclass
class _Prepared:
    sizes: list[tuple[int, int]]
    masks: list[torch.Tensor]  # per level: [h·w] merge mask values (1 in the region, τ outside)
    regions: list[torch.Tensor]  # per level: bool[h·w]
    features: list[torch.Tensor] | None  # per level: [h·w, T, c_l]


class TrackGoRuntime:
    """Trajectories + (optionally) a trained :class:`TrackAdapter`, applied at ``strength`` with suppression ``tau``."""

    def __init__(self, adapter: TrackAdapter | None, guide: TrackGoGuide | None, strength: float = 1.0,
                 tau: float | None = None, latent_scale: int = 8, training: bool = False,
                 config: TrackGoConfig | None = None):
        self.adapter = adapter
        self.config = adapter.config if adapter is not None else (config or TrackGoConfig())
        self.guide = guide
        self.strength = float(strength)
        if tau is None:  # the adapter's training value (the default config's without an adapter)
            tau = self.config.tau
        self.tau = check_tau(tau, "tau")
        self.latent_scale = int(latent_scale)
        self.training = training
        self.preparations = 0  # how often the maps, features and masks were built (once per sampling run)
        self.attention_terms: list[torch.Tensor] = []  # per-site attention losses of the last call (training)
        self._cache: tuple[tuple, _Prepared, torch.Tensor | None, int] | None = None  # key, built, first frame, call

    def set_guide(self, guide: TrackGoGuide) -> None:
        self.guide = guide
        self._cache = None

    # -- preparation (once per run) ------------------------------------------------------------------------------------
    def _levels(self) -> int:
        return self.adapter.levels if self.adapter is not None else len(self.config.encoder_channels)

    def _first_frame(self, call: SiteCall, channels: int) -> torch.Tensor:
        """The first ``channels`` of the call's first-frame latent, on the CPU in float32 (E's appearance input)."""
        if call.appearance is None or call.appearance.shape[0] < channels:
            got = None if call.appearance is None else tuple(call.appearance.shape)
            raise TrackDiffError("adapter.appearance_channels", channels, f"needs the first frame's latent with "
                                 f"{channels} channels, and the model gives {got}",
                                 "use this adapter with SVD image-to-video (SVD_img2vid_Conditioning)")
        return call.appearance[:channels].detach().to("cpu", torch.float32)

    def prepare(self, call: SiteCall, device: torch.device, dtype: torch.dtype) -> _Prepared:
        """The maps, features and masks for ``call``: built once per sampling run. With appearance channels the first
        frame is read once per model call (``call_id``) and the features are rebuilt only when it changed (another
        picture for the same tracks), never per step."""
        appearance = self.config.appearance_channels if self.adapter is not None else 0
        key = (call.frames, call.latent_height, call.latent_width, str(device), dtype, self.tau)
        image = None
        if self._cache is not None and self._cache[0] == key and not self.training:
            _, prepared, cached_image, cached_call = self._cache
            if not appearance or cached_call == call.call_id:
                return prepared
            image = self._first_frame(call, appearance)
            if torch.equal(image, cached_image):
                self._cache = (key, prepared, cached_image, call.call_id)
                return prepared
        if self.guide is None:
            raise TrackDiffError("tracks", None, "are not set", "connect tracks")
        trajectories = self.guide.resolve(call.latent_width * self.latent_scale, call.latent_height * self.latent_scale)
        if trajectories.num_frames != call.frames:
            trajectories = trajectories.resample(call.frames)
        # The data-dependent part (splatting, regions) runs on the CPU, once per run: small tensors, no device syncs,
        # and it also works when the model is only being measured on the meta device. The encoder runs on ``device``.
        points = torch.from_numpy(np.array(trajectories.points))
        visible = torch.from_numpy(np.array(trajectories.visible))
        groups = torch.from_numpy(np.array(trajectories.groups))
        masks = self.guide.masks
        masks = torch.from_numpy(np.array(masks)) if masks is not None else None
        sizes = level_sizes(call.latent_height, call.latent_width, self._levels())
        region = motion_region(points, visible, groups, call.latent_height, call.latent_width, masks,
                               self.config.mask_dilation)
        cpu_regions = [r.reshape(-1) for r in pool_region(region, sizes)]
        merge_masks = [torch.where(r, 1.0, self.tau).to(device=device, dtype=dtype) for r in cpu_regions]
        regions = [r.to(device) for r in cpu_regions]
        features = None
        if self.adapter is not None:
            adapter_dtype = next(self.adapter.parameters()).dtype
            if appearance and image is None:
                image = self._first_frame(call, appearance)
            maps = rasterize(points, visible, call.latent_height, call.latent_width, self.config.splat_sigma, image)
            pyramid = self.adapter.encoder(maps.to(device=device, dtype=adapter_dtype))
            # [T, c, h, w] -> [h·w, T, c]: one row per location, frames along the sequence (the temporal layout).
            features = [level.permute(2, 3, 0, 1).reshape(-1, level.shape[0], level.shape[1]) for level in pyramid]
        prepared = _Prepared(sizes, merge_masks, regions, features)
        self.preparations += 1
        self._cache = (key, prepared, image, call.call_id)
        return prepared

    def _level_of(self, key: str, call: SiteCall, prepared: _Prepared) -> int:
        size = (call.height, call.width)
        if self.adapter is not None:
            spec = self.adapter.site_specs.get(key)
            if spec is None:
                raise TrackDiffError("adapter", key, "has no branch for this temporal layer",
                                     "use an adapter trained for this model")
            if prepared.sizes[spec.level] != size:
                raise TrackDiffError(
                    "adapter", key, f"expects level {spec.level} ({prepared.sizes[spec.level]}) but the layer runs at "
                    f"{size}", "use an adapter trained for this model",
                )
            return spec.level
        if size not in prepared.sizes:
            raise TrackDiffError("model", size, "has a temporal layer at a resolution TrackGo does not expect",
                                 "connect an SVD model")
        return prepared.sizes.index(size)

    # -- the two hook calls --------------------------------------------------------------------------------------------
    def branch(self, key: str, n: torch.Tensor, call: SiteCall) -> torch.Tensor | None:
        """The trainable branch's attention for the conditional rows of ``n`` (``[chunks·h·w, T, C]``), before its
        output projection (narrow, so holding it until :meth:`merge` is cheap); None without an adapter or cond rows."""
        if self.adapter is None or 0 not in call.kinds:
            return None
        prepared = self.prepare(call, n.device, n.dtype)
        level = self._level_of(key, call, prepared)
        per_chunk = call.chunk_rows(n.shape[0])
        cond = [i for i, kind in enumerate(call.kinds) if kind == 0]
        rows = n[cond[0] * per_chunk:(cond[0] + 1) * per_chunk] if len(cond) == 1 else \
            torch.cat([n[i * per_chunk:(i + 1) * per_chunk] for i in cond])
        features = prepared.features[level]
        if len(cond) > 1:
            features = features.repeat(len(cond), 1, 1)
        branch = self.adapter.sites[key]
        dtype = branch.to_out.weight.dtype
        return branch.attend(rows.to(dtype), features, call.attention)

    def merge(self, key: str, y: torch.Tensor, call: SiteCall, attended: torch.Tensor | None) -> torch.Tensor:
        """The merged output ``y · max(0, 1 + s(M − 1)) + s · M ⊙ Δ``; unconditional rows are ``y``'s own.

        One new tensor is allocated (the output); ``Δ = W_o · attended`` exists only for the conditional rows."""
        if 0 not in call.kinds:
            return y
        prepared = self.prepare(call, y.device, y.dtype)
        level = self._level_of(key, call, prepared)
        per_chunk = call.chunk_rows(y.shape[0])
        mask = prepared.masks[level].to(y.dtype)[:, None, None]
        cond = [i for i, kind in enumerate(call.kinds) if kind == 0]
        if len(cond) == len(call.kinds) == 1:
            scale = mask
        else:  # 1 on unconditional rows (exactly: y · 1 == y), the mask on conditional ones
            scale = torch.ones(len(call.kinds), per_chunk, 1, 1, dtype=y.dtype, device=y.device)
            scale[cond] = mask
            scale = scale.view(-1, 1, 1)
        out = y * suppression_scale(scale, self.strength)
        if attended is None:
            return out
        branch = self.adapter.sites[key]
        delta = branch.project(attended).to(y.dtype)
        weight = self.strength * mask
        grad = torch.is_grad_enabled()
        for used, index in enumerate(cond):
            part = delta[used * per_chunk:(used + 1) * per_chunk]
            rows = slice(index * per_chunk, (index + 1) * per_chunk)
            if grad:  # out of place, so autograd sees every step
                out = torch.cat([out[:rows.start], out[rows] + weight * part, out[rows.stop:]])
            else:
                out[rows].addcmul_(weight, part)
            if self.training:
                self.attention_terms.append(attention_loss(part, y[rows], prepared.regions[level]))
        return out
