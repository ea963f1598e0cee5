"""Exact cost ratios of each case against stock SVD at equal shapes (meta device, full size)."""

from __future__ import annotations

from dataclasses import dataclass

from .cases import Case
from .measure import Measurement, measure
from .meta_svd import meta_svd_patcher, unet_parameters


@dataclass(frozen=True)
class Shape:
    frames: int
    height: int
    width: int
    chunks: int = 2  # cond + uncond (CFG)

    def __str__(self) -> str:
        return f"{self.frames}×{self.height}×{self.width}, batch {self.chunks}"


@dataclass(frozen=True)
class Ratio:
    case: str
    shape: Shape
    objects: int
    stock: Measurement
    patched: Measurement
    unet_parameters: int

    @property
    def flops(self) -> float:
        return self.patched.flops / self.stock.flops

    @property
    def peak(self) -> float:
        return self.patched.peak_bytes / self.stock.peak_bytes

    @property
    def added_parameters(self) -> int:
        return self.patched.added_parameters

    @property
    def parameter_share(self) -> float:
        return self.added_parameters / self.unet_parameters


class ExactBench:
    """Holds one meta SVD and the stock measurement per shape."""

    def __init__(self, pack):
        self.pack = pack
        self.model = meta_svd_patcher()
        self.parameters = unet_parameters(self.model)
        self._stock: dict[Shape, Measurement] = {}

    def stock(self, shape: Shape) -> Measurement:
        if shape not in self._stock:
            self._stock[shape] = measure(self.model, shape.frames, shape.height, shape.width, shape.chunks)
        return self._stock[shape]

    def ratio(self, case: Case, shape: Shape, objects: int = 4) -> Ratio:
        patched = case.build(self.pack, self.model, objects, shape.frames, shape.width, shape.height)
        result = measure(patched, shape.frames, shape.height, shape.width, shape.chunks)
        return Ratio(case.name, shape, objects, self.stock(shape), result, self.parameters)
