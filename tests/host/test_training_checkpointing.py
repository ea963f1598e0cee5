"""``--checkpointing`` on the real tiny SVD through ComfyUI: the UNet's layers are recomputed in backward, fewer
activations are kept, and the adapter's gradients are those of the plain run (ComfyUI's transformer options, which
it changes as it walks the blocks, reach the recomputation as they were)."""

from __future__ import annotations

import importlib

import torch


def adapter_gradients(backend, task, module, clip, generator_seed):
    saved = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t.numel() * t.element_size()) or t,
                                                  lambda t: t):
        loss, values = task.loss(module, clip, backend, torch.Generator().manual_seed(generator_seed))
    module.zero_grad(set_to_none=True)
    loss.backward()
    return {n: p.grad.clone() for n, p in module.named_parameters() if p.grad is not None}, sum(saved), values


def test_checkpointed_unet_layers_give_the_adapter_the_same_gradients(pack, tiny_svd_path):
    core = pack.__name__ + ".trackdiff_core.training"
    backend_module = importlib.import_module(pack.__name__ + ".nodes.training_backend")
    checkpointing = importlib.import_module(core + ".checkpointing")
    trackgo_task = importlib.import_module(core + ".trackgo_task")
    synthetic = importlib.import_module(core + ".synthetic")
    config = importlib.import_module(pack.__name__ + ".trackdiff_core.trackgo.config")

    backend = backend_module.ComfySVDBackend(str(tiny_svd_path), width=64, height=64, device="cpu")
    task = trackgo_task.TrackGoTask(config.TrackGoConfig(frames=4, width=64, height=64, encoder_channels=(8, 8, 8, 8),
                                                         appearance_channels=4))
    torch.manual_seed(0)
    module = task.build(backend)
    for p in module.parameters():  # a trained-looking adapter: every branch contributes and gets a gradient
        p.data.add_(0.05 * torch.randn_like(p))
    task.attach(backend, module)
    clip = synthetic.SyntheticClips(4, 64, 64, seed=2, max_objects=2, points_per_object=16).clip(0)
    plain, kept_plain, values = adapter_gradients(backend, task, module, clip, 7)
    assert values["layers"] == 16
    blocks = checkpointing.checkpoint_forwards(backend.frozen_blocks())
    try:
        again, kept, values = adapter_gradients(backend, task, module, clip, 7)
    finally:
        checkpointing.restore_forwards(blocks)
    assert values["layers"] == 16
    assert kept < 0.7 * kept_plain, (kept, kept_plain)
    assert sorted(again) == sorted(plain) and len(plain) == len(list(module.parameters()))
    for name in plain:
        torch.testing.assert_close(again[name], plain[name], rtol=1e-4, atol=1e-6, msg=name)
