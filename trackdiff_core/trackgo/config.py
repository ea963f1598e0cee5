"""TrackGo's hyper-parameters: the choices the paper (arXiv 2408.11475) leaves open, in one validated place.

Every value here is written into a trained adapter's file, so a file says how it was trained; ``docs/trackgo.md``
explains each choice.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields

from ..errors import TrackDiffError
from ..validate import integer

CONFIG_VERSION = 1


@dataclass(frozen=True)
class TrackGoConfig:
    """TrackGo's settings.

    Attributes:
        points_k: ``K``. Each mask gets ``K · s`` points (the paper names only the product).
        points_s: ``s``, the density multiplier of ``K`` (``K · s`` points per object).
        tau: ``τ``, the suppression intensity: the merge mask is 1 where a trajectory passes or inside a moving mask,
            ``τ`` elsewhere (see :func:`trackdiff_core.trackgo.adapter.merge_branches`).
        frames, width, height: the clip size the adapter was trained at (informative; any size runs).
        splat_sigma: the Gaussian's standard deviation, in latent cells, when trajectories are rasterised for ``E``.
        mask_dilation: cells added around the swept region at latent resolution when the merge mask is built.
        encoder_channels: the widths of ``E``'s conv pyramid, one per resolution level (finest first).
        branch_ratio: the trainable branch's head width is the layer's head width divided by this.
        attention_loss_weight: ``λ`` in ``loss = EDM + λ · attention loss``.
        appearance_channels: TrackDiff's option, not the paper's (0 = the paper's input). With ``C > 0``, ``E`` also
            reads, for every track, the first ``C`` channels of the first frame's latent where the track starts,
            splatted where the track is in each frame (:func:`trackdiff_core.trackgo.raster.rasterize`): what is
            moving, not only how. SVD's conditioning latent has 4.
    """

    points_k: int = 8
    points_s: int = 4
    tau: float = 0.5
    frames: int = 14
    width: int = 1024
    height: int = 576
    splat_sigma: float = 1.0
    mask_dilation: int = 1
    encoder_channels: tuple[int, ...] = field(default=(16, 32, 64, 64))
    branch_ratio: int = 4
    attention_loss_weight: float = 0.1
    appearance_channels: int = 0

    def __post_init__(self):
        integer(self.points_k, "K", 1, 4096, fix="use between 1 and 4096 points")
        integer(self.points_s, "s", 1, 64, fix="use a multiplier between 1 and 64")
        if self.points_k * self.points_s > 4096:
            raise TrackDiffError("K · s", self.points_k * self.points_s, "is more than 4096 points per object",
                                 "lower K or s")
        _unit(self.tau, "tau")
        integer(self.frames, "frames", 1, 4096)
        integer(self.width, "width", 8, 16384)
        integer(self.height, "height", 8, 16384)
        if not (isinstance(self.splat_sigma, (int, float)) and math.isfinite(self.splat_sigma)
                and 0.25 <= self.splat_sigma <= 8.0):
            raise TrackDiffError("splat_sigma", self.splat_sigma, "must be between 0.25 and 8 latent cells",
                                 "use about 1")
        integer(self.mask_dilation, "mask_dilation", 0, 16)
        channels = tuple(self.encoder_channels)
        if not 1 <= len(channels) <= 8:
            raise TrackDiffError("encoder_channels", channels, "must list 1 to 8 widths", "give one width per level")
        for index, width in enumerate(channels):
            integer(width, f"encoder_channels[{index}]", 1, 4096)
        object.__setattr__(self, "encoder_channels", tuple(int(c) for c in channels))
        integer(self.branch_ratio, "branch_ratio", 1, 64)
        integer(self.appearance_channels, "appearance_channels", 0, 64, fix="use 0, or the latent's channels (4)")
        weight = self.attention_loss_weight
        if not (isinstance(weight, (int, float)) and math.isfinite(weight) and weight >= 0):
            raise TrackDiffError("attention_loss_weight", weight, "must be a finite number >= 0", "use about 0.1")

    @property
    def points_per_object(self) -> int:
        return self.points_k * self.points_s

    def to_json(self) -> str:
        data = asdict(self)
        data["encoder_channels"] = list(self.encoder_channels)
        return json.dumps({"version": CONFIG_VERSION, **data}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, field_name: str = "config") -> "TrackGoConfig":
        try:
            data = json.loads(text)
        except (TypeError, json.JSONDecodeError) as exc:
            raise TrackDiffError(field_name, text, f"is not JSON ({exc})", "re-save the adapter with this version") from None
        if not isinstance(data, dict) or data.get("version") != CONFIG_VERSION:
            raise TrackDiffError(f"{field_name}.version", data.get("version") if isinstance(data, dict) else data,
                                 f"is not config version {CONFIG_VERSION}", "re-train or update TrackDiff")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known - {"version"})
        if unknown:
            raise TrackDiffError(f"{field_name}.{unknown[0]}", data[unknown[0]], "is not a TrackGo setting",
                                 "update TrackDiff, or remove it")
        values = {k: v for k, v in data.items() if k in known}
        if "encoder_channels" in values:
            values["encoder_channels"] = tuple(values["encoder_channels"])
        return cls(**values)


def _unit(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise TrackDiffError(name, value, "must be a number between 0 and 1", "use 1 for no suppression, lower to "
                             "hold unspecified areas more still")
    return float(value)


def check_tau(value, name: str = "tau") -> float:
    """``τ`` in ``[0, 1]``, or a clear error."""
    return _unit(value, name)
