"""Peak live bytes of a forward pass, counted exactly on the ``meta`` device (no weights, no GPU needed).

A dispatch mode sees every tensor an operator returns. Each new storage adds its bytes to the live total, and leaves it
when the last tensor referencing it is garbage collected (weakref finalizers); the peak of that total is what a
caching-free allocator would need at most for activations. Tensors created before the mode (weights, inputs) are not
counted; weights are reported separately.
"""

from __future__ import annotations

import weakref

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten


class LiveBytes(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.live = 0
        self.peak = 0
        self._refs: dict[int, int] = {}  # storage key -> number of live tensors on it
        self._sizes: dict[int, int] = {}
        self._seen: dict[int, int] = {}  # id(tensor) -> storage key, for tensors already counted

    def _release(self, tensor_id: int, key: int) -> None:
        self._seen.pop(tensor_id, None)
        self._refs[key] -= 1
        if self._refs[key] == 0:
            self.live -= self._sizes.pop(key)
            del self._refs[key]

    def _track(self, tensor: torch.Tensor) -> None:
        if id(tensor) in self._seen:
            return
        storage = tensor.untyped_storage()
        key = storage._cdata
        if key not in self._refs:
            self._refs[key] = 0
            self._sizes[key] = storage.nbytes()
            self.live += self._sizes[key]
            self.peak = max(self.peak, self.live)
        self._refs[key] += 1
        self._seen[id(tensor)] = key
        weakref.finalize(tensor, self._release, id(tensor), key)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for item in tree_flatten(out)[0]:
            if isinstance(item, torch.Tensor):
                self._track(item)
        return out
