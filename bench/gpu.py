"""The same comparison on a GPU, when there is one: the full-size SVD with random weights in fp16, with CFG.

Speed does not need real weights. Reports seconds per sampling step (stock and patched, interleaved), peak GPU memory,
and the step time against the floor set by the exact FLOP count and the device's dense fp16 peak.
"""

from __future__ import annotations

import statistics

import torch

from .cases import CASES
from .meta_svd import SVD_UNET_CONFIG
from .wallclock import paired_times

# Dense fp16/bf16 tensor-core peaks (TFLOP/s) of devices this project is measured on; others get no floor column.
DEVICE_PEAK_TFLOPS = {"H100": 989.0, "H200": 989.0, "A100": 312.0, "L40S": 362.0, "RTX 4090": 165.0}


def device_peak(name: str) -> float | None:
    return next((v for k, v in DEVICE_PEAK_TFLOPS.items() if k in name), None)


def random_svd(device, dtype=torch.float16, config_class=None, unet_config=None):
    """ComfyUI's SVD model (full size unless another config is given) on ``device`` with random weights, in a
    ModelPatcher that ComfyUI loads and samples as usual."""
    import comfy.model_patcher
    import comfy.supported_models

    config = (config_class or comfy.supported_models.SVD_img2vid)(dict(unet_config or SVD_UNET_CONFIG))
    config.set_inference_dtype(dtype, None)
    model = config.get_model({}, device=torch.device(device))
    gen = torch.Generator(device=device).manual_seed(0)
    with torch.no_grad():
        for parameter in model.diffusion_model.parameters():
            parameter.normal_(0.0, 0.02, generator=gen)
    return comfy.model_patcher.ModelPatcher(model, load_device=torch.device(device), offload_device=torch.device("cpu"))


def random_conditioning(frames: int, height: int, width: int, context_dim: int = 1024):
    """What SVD_img2vid_Conditioning produces, with random image embeddings and latents."""
    gen = torch.Generator().manual_seed(1)
    pooled = torch.randn((1, 1, context_dim), generator=gen)
    concat = torch.randn((1, 4, height // 8, width // 8), generator=gen)
    extra = {"motion_bucket_id": 127, "fps": 6, "augmentation_level": 0.0}
    positive = [[pooled, {**extra, "concat_latent_image": concat}]]
    negative = [[torch.zeros_like(pooled), {**extra, "concat_latent_image": torch.zeros_like(concat)}]]
    return positive, negative, {"samples": torch.zeros((frames, 4, height // 8, width // 8))}


def gpu_section(pack, exact_bench, quick: bool) -> list[str]:
    if not torch.cuda.is_available():
        return ["### GPU", "", "No CUDA device on the machine that made this report: not measured here."]
    from svd_runner import sample

    from .exact import Shape

    device = torch.device("cuda")
    name = torch.cuda.get_device_name(device)
    peak = device_peak(name)
    model = random_svd(device)
    lines = [
        f"### GPU: {name}, full-size SVD (random weights, fp16), CFG batch 2",
        "",
        "| case | shape | s/step stock | s/step patched | time × | peak GiB stock | peak GiB patched | stock step / floor |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for frames in (14, 25):
        positive, negative, latent = random_conditioning(frames, 576, 1024)
        floor = None
        if peak:
            floor = exact_bench.stock(Shape(frames, 576, 1024)).flops / (peak * 1e12)

        def step(m):
            return lambda: sample(m, positive, negative, latent, steps=1)

        for case in [c for c in CASES if c.method != "hooks"]:
            patched = case.build(pack, model, 4, frames, 1024, 576)
            memory = []
            for m in (model, patched):
                torch.cuda.reset_peak_memory_stats(device)
                step(m)()
                memory.append(torch.cuda.max_memory_allocated(device) / 2**30)
            stock, timed = paired_times(step(model), step(patched), pairs=3 if quick else 9, warmup=1, device=device)
            s, p = statistics.median(stock), statistics.median(timed)
            ratio = statistics.median([b / a for a, b in zip(stock, timed)])
            lines.append(f"| {case.name} | {frames}×576×1024 | {s:.3f} | {p:.3f} | {ratio:.3f} | {memory[0]:.2f} | "
                         f"{memory[1]:.2f} | {s / floor:.2f} |" if floor else
                         f"| {case.name} | {frames}×576×1024 | {s:.3f} | {p:.3f} | {ratio:.3f} | {memory[0]:.2f} | "
                         f"{memory[1]:.2f} | — |")
    return lines
