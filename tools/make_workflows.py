"""Build the example workflows (``workflows/*.json``, ComfyUI's UI format) in the real ComfyUI frontend, and their
thumbnails (``workflows/*.jpg``).

The graphs are described below as data; the frontend creates the nodes, sets the widgets, connects the sockets and
serialises the graph, so the files are exactly what this frontend saves and loads. Run it after changing a spec or a
node's schema (the core tests check the files against the nodes' schemas, the host tests run them)::

    COMFYUI_PATH=$HOME/comfyui-host $HOME/comfyui-host/.venv/bin/python tools/make_workflows.py

Needs a ComfyUI checkout (``COMFYUI_PATH``), Debian's Chromium and the Python package playwright, as the host tests.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT, ROOT / "tests" / "host", ROOT / "tests" / "browser", ROOT / "tests" / "core"):
    sys.path.insert(0, str(extra))

from trackdiff_core.colors import palette_color  # noqa: E402
from trackdiff_core.mask_arrow_document import MaskArrowDocument, MaskArrowObject  # noqa: E402
from trackdiff_core.masks import rle_encode  # noqa: E402
from trackdiff_core.render import draw_masks, draw_paths, draw_tracklets, draw_trajectories  # noqa: E402
from trackdiff_core.tracklet_document import BoxKeyframe, BoxObject, TrackletDocument  # noqa: E402
from trackdiff_core.trackgo.inputs import build_objects  # noqa: E402
from workflow_schema import normalise  # noqa: E402

OUT = ROOT / "workflows"
# The schemas of the nodes the workflows use, as this ComfyUI reports them: the core tests check the workflows against
# them without a ComfyUI, and a host test checks that they are still what the live server reports.
SCHEMAS = ROOT / "tests" / "core" / "data" / "workflow_node_schemas.json"
WIDTH, HEIGHT, FRAMES = 1024, 576, 14
SVD_CHECKPOINT = "svd.safetensors"
TRACKDIFFUSION_WEIGHTS = "trackdiffusion_stage2.fp16.safetensors"
TRACKGO_ADAPTER = "trackgo_adapter.safetensors"
EXAMPLE_TRACKS = "trackdiff_example_tracks.txt"

# -- example motion --------------------------------------------------------------------------------------------------
BOX_DOCUMENT = TrackletDocument(FRAMES, (
    BoxObject(0, "car", palette_color(0), (
        BoxKeyframe(0, (0.08, 0.55, 0.30, 0.80)), BoxKeyframe(FRAMES - 1, (0.55, 0.50, 0.80, 0.78))),
        interpolation="ease_in_out"),
    BoxObject(1, "person", palette_color(1), (
        BoxKeyframe(0, (0.62, 0.30, 0.72, 0.70)), BoxKeyframe(7, (0.70, 0.28, 0.80, 0.68)),
        BoxKeyframe(FRAMES - 1, (0.82, 0.30, 0.92, 0.72))), visibility=((0, 11),)),
))


def _ellipse_mask(cx: float, cy: float, rx: float, ry: float, width: int = 128, height: int = 72) -> dict:
    y, x = np.mgrid[0:height, 0:width]
    mask = ((x + 0.5) / width - cx) ** 2 / rx ** 2 + ((y + 0.5) / height - cy) ** 2 / ry ** 2 <= 1.0
    return rle_encode(mask)


MASK_ARROW_DOCUMENT = MaskArrowDocument(FRAMES, (
    MaskArrowObject(0, "ball", palette_color(0), ((0.25, 0.62), (0.45, 0.40), (0.70, 0.55)),
                    _ellipse_mask(0.25, 0.62, 0.07, 0.11), timing="ease_in_out"),
    MaskArrowObject(1, "tree", palette_color(2), ((0.85, 0.45),), _ellipse_mask(0.85, 0.45, 0.06, 0.25)),
))

MOT_EXAMPLE = "\n".join(
    f"{t + 1},{obj},{x:.1f},{y:.1f},{w:.1f},{h:.1f},1,{cls},1"
    for t in range(FRAMES)
    for obj, cls, (x, y, w, h) in (
        (1, 3, (80 + 30 * t, 320 - 2 * t, 230, 140)),
        (2, 1, (700 - 12 * t, 170 + 3 * t, 70, 220)),
    )
) + "\n"


# -- graph specs -----------------------------------------------------------------------------------------------------
def svd_core(prefix: str, model_from: tuple[str, int], latent_from=None, denoise: float = 1.0) -> tuple:
    """Conditioning, guidance, sampler, decode and save, shared by every workflow."""
    nodes = [
        ("cfg", "VideoLinearCFGGuidance", 2, {"min_cfg": 1.0}),
        ("cond", "SVD_img2vid_Conditioning", 2, {"width": WIDTH, "height": HEIGHT, "video_frames": FRAMES,
                                                "motion_bucket_id": 127, "fps": 6, "augmentation_level": 0.0}),
        ("sampler", "KSampler", 3, {"seed": 42, "control_after_generate": "fixed", "steps": 20, "cfg": 2.5,
                                               "sampler_name": "euler", "scheduler": "karras", "denoise": denoise}),
        ("decode", "VAEDecode", 4, {}),
        ("save", "SaveImage", 4, {"filename_prefix": f"trackdiff/{prefix}"}),
    ]
    links = [
        (model_from, ("cfg", "model")),
        (("checkpoint", 1), ("cond", "clip_vision")), (("scale", 0), ("cond", "init_image")),
        (("checkpoint", 2), ("cond", "vae")),
        (("cfg", 0), ("sampler", "model")), (("cond", 0), ("sampler", "positive")), (("cond", 1), ("sampler", "negative")),
        (latent_from or ("cond", 2), ("sampler", "latent_image")),
        (("sampler", 0), ("decode", "samples")), (("checkpoint", 2), ("decode", "vae")),
        (("decode", 0), ("save", "images")),
    ]
    return nodes, links


def image_input() -> tuple:
    nodes = [
        ("image", "LoadImage", 0, {"image": "example.png"}),
        ("scale", "ImageScale", 0, {"upscale_method": "lanczos", "width": WIDTH, "height": HEIGHT,
                                            "crop": "center"}),
        ("checkpoint", "ImageOnlyCheckpointLoader", 0, {"ckpt_name": SVD_CHECKPOINT}),
    ]
    return nodes, [(("image", 0), ("scale", "image"))]


CROP_NOTE = (
    "**Why the Image Scale node:** SVD's conditioning centre-crops the image to the video's aspect. Feeding the editor "
    "the same 1024×576 crop makes what you draw land exactly where the video is."
)
SAMPLER_NOTE = (
    "**Defaults:** SVD (`svd.safetensors`, 14 frames) at 1024×576, 20 steps, CFG 2.5 with Video Linear CFG Guidance. "
    "For SVD-XT load `svd_xt.safetensors` and set `video_frames` to 25 (the tracks are resampled to it)."
)


def trackdiffusion_spec(from_file: bool = False) -> dict:
    nodes, links = image_input()
    if from_file:
        nodes.append(("tracks", "LoadTracklets", 1, {"file": EXAMPLE_TRACKS, "format": "auto", "width": WIDTH,
                                                             "height": HEIGHT, "video": 0, "box_size": 0.1}))
        source = ("tracks", 0)
    else:
        nodes.append(("tracks", "TrackletEditor", 1, {"tracklets_json": BOX_DOCUMENT.dumps()}))
        links.append((("scale", 0), ("tracks", "image")))
        source = ("tracks", 0)
    nodes += [
        ("weights", "TrackDiffusionLoader", 0, {"weights_name": TRACKDIFFUSION_WEIGHTS}),
        ("enhancer", "InstanceEnhancer", 1, {"strength": 1.0, "start_percent": 0.0, "end_percent": 1.0,
                                                      "boxes_for_uncond": False, "consistency": 0.0,
                                                      "frame_mismatch": "resample"}),
    ]
    outputs = [
        ("overlay", "VisualizeTracklets", 4, {"line_width": 0, "show_labels": True}),
        ("animation", "SaveAnimatedWEBP", 4, {"filename_prefix": "trackdiff/trackdiffusion_boxes", "fps": 6.0,
                                              "lossless": False, "quality": 85, "method": "default"}),
    ]
    links += [
        (("checkpoint", 0), ("enhancer", "model")), (source, ("enhancer", "tracklets")),
        (("weights", 0), ("enhancer", "weights")),
        (("decode", 0), ("overlay", "images")), (source, ("overlay", "tracklets")),
        (("overlay", 0), ("animation", "images")),
    ]
    core_nodes, core_links = svd_core("trackdiffusion_tracks" if from_file else "trackdiffusion", ("enhancer", 0))
    nodes += core_nodes + outputs
    links += core_links
    if from_file:
        nodes.append(("labels", "SaveTrackletLabels", 4, {"filename_prefix": "trackdiff/labels"}))
        links += [(source, ("labels", "tracklets")), (("decode", 0), ("labels", "images"))]
    what = ("Tracks come from a file in `ComfyUI/input/`: copy `workflows/trackdiff_example_tracks.txt` there, or "
            "copy your own MOT `gt.txt`, COCO-VID / YouTube-VIS JSON, TrackDiff box document or coordinate JSON there "
            "and press R to refresh Load Tracklets' list (it has no upload button: this frontend uploads only images, "
            "video and audio). MOT and coordinates are read as pixels of width × height. Save Tracklet "
            "Labels writes MOT / COCO-VID labels aligned with the generated frames.") if from_file else (
            "Draw a box per object in the **Tracklet Editor** (drag on the image; scrub the timeline and drag again "
            "to set keyframes; Ctrl+Z undoes). The example boxes are a starting point.")
    notes = [(1, (560, 330), "\n\n".join([
        "# TrackDiffusion: box tracklets drive SVD",
        what,
        f"**Weights:** `{SVD_CHECKPOINT}` in `ComfyUI/models/checkpoints/`. TrackDiffusion: download "
        "`svd_stage2/unet/diffusion_pytorch_model.safetensors` from the Hugging Face repository "
        "`pengxiang/trackdiffusion_ytvis` into `ComfyUI/models/trackdiff/`, then convert it once with the "
        f"*TrackDiffusion Convert* node (with stage set to stage2 when the file's name does not say it; it writes "
        f"`{TRACKDIFFUSION_WEIGHTS}`), or pick the downloaded file directly "
        "in the loader.",
        CROP_NOTE, SAMPLER_NOTE])), ]
    return {"nodes": nodes, "links": links, "notes": notes}


def trackgo_spec() -> dict:
    nodes, links = image_input()
    nodes += [
        ("tracks", "MaskArrowToTrajectories", 1, {
            "mask_arrows_json": MASK_ARROW_DOCUMENT.dumps(), "frame_count": FRAMES, "K": 8, "s": 4, "point_seed": 0,
            "timing": "linear", "width": WIDTH, "height": HEIGHT, "mask_layout": "one_per_object"}),
        ("adapter", "TrackAdapterLoader", 0, {"adapter_name": TRACKGO_ADAPTER}),
        ("apply", "ApplyTrackAdapter", 1, {"strength": 1.0, "tau": -1.0, "start_percent": 0.0,
                                                    "end_percent": 1.0}),
    ]
    outputs = [
        ("overlay", "VisualizeTrackPoints", 4, {"width": WIDTH, "height": HEIGHT, "tail": 8, "point_radius": 0}),
        ("animation", "SaveAnimatedWEBP", 4, {"filename_prefix": "trackdiff/trackgo_points", "fps": 6.0,
                                              "lossless": False, "quality": 85, "method": "default"}),
    ]
    links += [
        (("scale", 0), ("tracks", "image")),
        (("checkpoint", 0), ("apply", "model")), (("tracks", 0), ("apply", "tracks")),
        (("adapter", 0), ("apply", "adapter")),
        (("decode", 0), ("overlay", "images")), (("tracks", 0), ("overlay", "tracks")),
        (("overlay", 0), ("animation", "images")),
    ]
    core_nodes, core_links = svd_core("trackgo", ("apply", 0))
    notes = [(1, (560, 360), "\n\n".join([
        "# TrackGo: masks + arrows drive SVD",
        "In **Mask Arrow To Trajectories**, paint a mask per object and draw an arrow (or a path, or one point for a "
        "static anchor); K·s points are sampled in each mask and moved along its arrow.",
        f"**Weights:** `{SVD_CHECKPOINT}` in `ComfyUI/models/checkpoints/`. TrackGo has no public weights: train an "
        f"adapter with `python -m trackdiff_core.training trackgo` (docs/training.md) and put `{TRACKGO_ADAPTER}` in "
        "`ComfyUI/models/trackdiff/`. Without one, disconnect the adapter (the τ suppression alone is experimental) "
        "or use the zero-weight cut-and-drag workflow.",
        CROP_NOTE, SAMPLER_NOTE]))]
    return {"nodes": nodes + core_nodes + outputs, "links": links + core_links, "notes": notes}


def zero_weight_spec() -> dict:
    nodes, links = image_input()
    nodes += [
        ("tracks", "MaskArrowToTrajectories", 1, {
            "mask_arrows_json": MASK_ARROW_DOCUMENT.dumps(), "frame_count": FRAMES, "K": 8, "s": 4, "point_seed": 0,
            "timing": "linear", "width": WIDTH, "height": HEIGHT, "mask_layout": "one_per_object"}),
        ("guide", "TrackGoCutAndDrag", 1, {"fill": "inpaint", "feather": 2.0}),
        ("encode", "VAEEncode", 1, {}),
    ]
    outputs = [
        ("guide_preview", "SaveAnimatedWEBP", 4, {"filename_prefix": "trackdiff/cut_and_drag_guide", "fps": 6.0,
                                                  "lossless": False, "quality": 85, "method": "default"}),
    ]
    links += [
        (("scale", 0), ("tracks", "image")),
        (("scale", 0), ("guide", "image")), (("tracks", 0), ("guide", "tracks")),
        (("guide", 0), ("encode", "pixels")), (("checkpoint", 2), ("encode", "vae")),
        (("guide", 0), ("guide_preview", "images")),
    ]
    core_nodes, core_links = svd_core("cut_and_drag", ("checkpoint", 0), latent_from=("encode", 0), denoise=0.4)
    notes = [(1, (560, 330), "\n\n".join([
        "# Zero-weight motion (experimental): cut and drag + stock SVD",
        "No TrackGo weights needed. **TrackGo Cut And Drag** moves the masked regions of the first frame along their "
        "arrows into a rough guide video; stock SVD then re-samples it at `denoise` 0.4 (lower keeps more of the "
        "guide, higher lets SVD repaint more). It is a heuristic (SDEdit-style), not the TrackGo method.",
        "**Why denoise 0.4:** on SVD's Karras schedule 0.4 starts at \u03c3 \u2248 4, where the guide's motion "
        "survives; 0.65 starts at \u03c3 \u2248 64, where it is buried in noise. Measured in the toy world "
        "(docs/toy-world.md): the shapes end 47.3 px from the drawing at 0.4 against 54.9 px at 0.65 (no control: "
        "59.5 px). Raise it if SVD should repaint more of the guide's cut edges.",
        f"**Weights:** only `{SVD_CHECKPOINT}` in `ComfyUI/models/checkpoints/`.",
        CROP_NOTE, SAMPLER_NOTE]))]
    return {"nodes": nodes + core_nodes + outputs, "links": links + core_links, "notes": notes}



# -- Wan 2.1 (Wan-Move and ATI): core's Wan nodes, fed by TrackDiff's editors -----------------------------------------
WAN_WIDTH, WAN_HEIGHT, WAN_LENGTH = 832, 480, 81
WAN_MOVE_MODEL = "Wan21-WanMove_fp8_scaled_e4m3fn_KJ.safetensors"
ATI_MODEL = "Wan2_1-I2V-ATI-14B_fp8_e4m3fn.safetensors"
WAN_TEXT_ENCODER = "umt5_xxl_fp8_e4m3fn_scaled.safetensors"
WAN_VAE = "wan_2.1_vae.safetensors"
WAN_CLIP_VISION = "clip_vision_h.safetensors"
WAN_PROMPT = "a ball rolls across the road, a car drives to the right, natural motion, sharp details"
WAN_NEGATIVE = "static, blurry, distorted, low quality, jpeg artifacts, watermark, text"


def wan_inputs(model: str) -> tuple:
    """Loaders, the start image at Wan's size, prompts and CLIP vision: shared by the Wan workflows."""
    nodes = [
        ("image", "LoadImage", 0, {"image": "example.png"}),
        ("unet", "UNETLoader", 0, {"unet_name": model, "weight_dtype": "default"}),
        ("text_encoder", "CLIPLoader", 0, {"clip_name": WAN_TEXT_ENCODER, "type": "wan", "device": "default"}),
        ("vae", "VAELoader", 0, {"vae_name": WAN_VAE}),
        ("clip_vision", "CLIPVisionLoader", 0, {"clip_name": WAN_CLIP_VISION}),
        ("scale", "ImageScale", 1, {"upscale_method": "lanczos", "width": WAN_WIDTH, "height": WAN_HEIGHT,
                                    "crop": "center"}),
        ("positive", "CLIPTextEncode", 1, {"text": WAN_PROMPT}),
        ("negative", "CLIPTextEncode", 1, {"text": WAN_NEGATIVE}),
        ("vision", "CLIPVisionEncode", 1, {"crop": "none"}),
    ]
    links = [
        (("image", 0), ("scale", "image")),
        (("text_encoder", 0), ("positive", "clip")), (("text_encoder", 0), ("negative", "clip")),
        (("clip_vision", 0), ("vision", "clip_vision")), (("scale", 0), ("vision", "image")),
    ]
    return nodes, links


def wan_sampling(prefix: str, conditioning: str, tracks_from: tuple[str, int] | None) -> tuple:
    """Sampler, decode, the video and (for Wan-Move) the tracks drawn over it."""
    nodes = [
        ("sampler", "KSampler", 3, {"seed": 42, "control_after_generate": "fixed", "steps": 20, "cfg": 6.0,
                                    "sampler_name": "uni_pc", "scheduler": "simple", "denoise": 1.0}),
        ("decode", "VAEDecode", 3, {}),
        ("frames", "SaveImage", 4, {"filename_prefix": f"trackdiff/{prefix}"}),
        ("video", "SaveAnimatedWEBP", 4, {"filename_prefix": f"trackdiff/{prefix}", "fps": 16.0, "lossless": False,
                                          "quality": 85, "method": "default"}),
    ]
    links = [
        (("unet", 0), ("sampler", "model")), ((conditioning, 0), ("sampler", "positive")),
        ((conditioning, 1), ("sampler", "negative")), ((conditioning, 2), ("sampler", "latent_image")),
        (("sampler", 0), ("decode", "samples")), (("vae", 0), ("decode", "vae")), (("decode", 0), ("video", "images")),
        (("decode", 0), ("frames", "images")),
    ]
    if tracks_from is not None:
        nodes += [
            ("overlay", "WanMoveVisualizeTracks", 4, {"line_resolution": 24, "circle_size": 6, "opacity": 0.75,
                                                     "line_width": 6}),
            ("overlay_video", "SaveAnimatedWEBP", 4, {"filename_prefix": f"trackdiff/{prefix}_tracks", "fps": 16.0,
                                                      "lossless": False, "quality": 85, "method": "default"}),
        ]
        links += [(("decode", 0), ("overlay", "images")), (tracks_from, ("overlay", "tracks")),
                  (("overlay", 0), ("overlay_video", "images"))]
    return nodes, links


def wan_conditioning(kind: str, converter: str) -> tuple:
    """The Wan conditioning node, with width, height and length taken from the track converter (so they cannot
    disagree) and the tracks from it."""
    node = "WanMoveTrackToVideo" if kind == "wan_move" else "WanTrackToVideo"
    widgets = {"width": WAN_WIDTH, "height": WAN_HEIGHT, "length": WAN_LENGTH, "batch_size": 1}
    widgets.update({"strength": 1.0} if kind == "wan_move" else {"tracks": "[]", "temperature": 220.0, "topk": 2})
    nodes = [("conditioning", node, 2, widgets)]
    links = [
        (("positive", 0), ("conditioning", "positive")), (("negative", 0), ("conditioning", "negative")),
        (("vae", 0), ("conditioning", "vae")), (("scale", 0), ("conditioning", "start_image")),
        (("vision", 0), ("conditioning", "clip_vision_output")),
        ((converter, 0), ("conditioning", "tracks")), ((converter, 1), ("conditioning", "width")),
        ((converter, 2), ("conditioning", "height")), ((converter, 3), ("conditioning", "length")),
    ]
    return nodes, links


def wan_notes(title: str, what: str, model_line: str) -> list:
    return [(1, (560, 420), "\n\n".join([
        f"# {title}",
        what,
        "**Weights** (Wan 2.1 image-to-video, 480p): " + model_line + f" into `ComfyUI/models/diffusion_models/`; "
        f"`{WAN_TEXT_ENCODER}` (or `umt5_xxl_fp16.safetensors`) into `ComfyUI/models/text_encoders/`; `{WAN_VAE}` into "
        f"`ComfyUI/models/vae/`; `{WAN_CLIP_VISION}` into `ComfyUI/models/clip_vision/` (all but the model from the "
        "Hugging Face repository `Comfy-Org/Wan_2.1_ComfyUI_repackaged`, `split_files/`).",
        "**Why the Image Scale node:** Wan's conditioning centre-crops the start image to width × height. Feeding the "
        f"editor the same {WAN_WIDTH}×{WAN_HEIGHT} crop makes what you draw land where the video is. The track node's "
        "width, height and length feed the conditioning node, so tracks and video always agree.",
        f"**Defaults:** {WAN_WIDTH}×{WAN_HEIGHT}, {WAN_LENGTH} frames (4n + 1; 5 s at 16 fps), 20 steps, CFG 6, uni_pc. "
        "The editor's timeline is resampled to the frame count. More in `docs/wan.md`.",
    ]))]


def wan_move_boxes_spec() -> dict:
    nodes, links = wan_inputs(WAN_MOVE_MODEL)
    nodes += [
        ("editor", "TrackletEditor", 1, {"tracklets_json": BOX_DOCUMENT.dumps()}),
        ("tracks", "TracksForWanMove", 2, {"width": WAN_WIDTH, "height": WAN_HEIGHT, "length": WAN_LENGTH,
                                           "points_per_box": 16}),
    ]
    links += [(("scale", 0), ("editor", "image")), (("editor", 0), ("tracks", "tracklets"))]
    for part in (wan_conditioning("wan_move", "tracks"), wan_sampling("wan_move_boxes", "conditioning", ("tracks", 0))):
        nodes, links = nodes + part[0], links + part[1]
    notes = wan_notes(
        "Wan-Move: boxes drive Wan 2.1",
        "Draw a box per object in the **Tracklet Editor** (drag on the image; scrub the timeline and drag again to set "
        "keyframes). **Tracks For Wan-Move** puts a 4×4 grid of points in each box that moves and scales with it; "
        "Wan-Move copies the first frame's features along each point.",
        "the Wan-Move 14B model (`ali-vilab/Wan-Move`; a ComfyUI file is in `Kijai/WanVideo_comfy`, folder `WanMove/`, "
        f"e.g. `{WAN_MOVE_MODEL}`)")
    return {"nodes": nodes, "links": links, "notes": notes}


def wan_mask_arrows_spec(kind: str) -> dict:
    model = WAN_MOVE_MODEL if kind == "wan_move" else ATI_MODEL
    converter = "TracksForWanMove" if kind == "wan_move" else "TracksForATI"
    k, s_ = (8, 4) if kind == "wan_move" else (2, 2)
    nodes, links = wan_inputs(model)
    nodes += [
        ("points", "MaskArrowToTrajectories", 1, {
            "mask_arrows_json": MASK_ARROW_DOCUMENT.dumps(), "frame_count": WAN_LENGTH, "K": k, "s": s_,
            "point_seed": 0, "timing": "linear", "width": WAN_WIDTH, "height": WAN_HEIGHT,
            "mask_layout": "one_per_object"}),
        ("tracks", converter, 2, {"width": WAN_WIDTH, "height": WAN_HEIGHT, "length": WAN_LENGTH,
                                  "points_per_box": 16 if kind == "wan_move" else 4}),
    ]
    links += [(("scale", 0), ("points", "image")), (("points", 0), ("tracks", "tracks"))]
    prefix = "wan_move_mask_arrows" if kind == "wan_move" else "wan_ati_mask_arrows"
    for part in (wan_conditioning(kind, "tracks"),
                 wan_sampling(prefix, "conditioning", ("tracks", 0) if kind == "wan_move" else None)):
        nodes, links = nodes + part[0], links + part[1]
    if kind == "wan_move":
        notes = wan_notes(
            "Wan-Move: masks + arrows drive Wan 2.1",
            "In **Mask Arrow To Trajectories**, paint a mask per object and draw an arrow (or a path, or one point for a "
            "static anchor). K·s = 32 points are sampled in each mask (Wan-Move moves one 8×8-pixel cell per point); "
            "**Tracks For Wan-Move** hands them to Wan-Move at the video's size and frame count.",
            "the Wan-Move 14B model (`ali-vilab/Wan-Move`; a ComfyUI file is in `Kijai/WanVideo_comfy`, folder "
            f"`WanMove/`, e.g. `{WAN_MOVE_MODEL}`)")
    else:
        notes = wan_notes(
            "ATI: masks + arrows drive Wan 2.1",
            "In **Mask Arrow To Trajectories**, paint a mask per object and draw an arrow (or a path, or one point to "
            "hold it still). K·s = 4 points per mask are enough for ATI, which spreads each point over its "
            "neighbourhood. **Tracks For ATI** writes them as the JSON Wan Track To Video reads, each track with the "
            "121 samples ATI expects (shorter tracks are silently padded with invisible points by ComfyUI).",
            f"the ATI 14B model (`bytedance/ATI`; ComfyUI file `{ATI_MODEL}` from `Kijai/WanVideo_comfy`)")
    return {"nodes": nodes, "links": links, "notes": notes}


# -- motion transfer from a reference video (Tracks From Video) -----------------------------------------------------
REFERENCE_VIDEO = "reference.mp4"
REFERENCE_MASK = "reference_mask.png"
VIDEO_NOTE = (
    "**The reference video:** upload it in **Load Video** (keep it short: every frame is loaded; "
    "**Tracks From Video** tracks at most 1000 and resamples the motion to the frame count). Its motion is put "
    "on the new first frame in **Load Image**, so place the objects there where they are in the video's first frame."
)
MASK_NOTE = (
    "**What moves:** save the video's first frame as an image, open it in **Load Image (as Mask)** (right click, "
    "Open in MaskEditor) and paint the objects; the mask must have the video's size. Several objects: use a label "
    "map (mask_layout label_map). Without a mask, a grid over the whole frame is tracked (and there are no boxes)."
)
CAMERA_NOTE = (
    "**Camera:** camera_mode object_and_camera copies the motion as the video shows it; object_only removes the "
    "estimated camera motion; camera_only keeps only the camera's. **Motion Fidelity** tracks the generated video "
    "and says how far it strays from the reference tracks, in pixels."
)


def reference_motion(frames: int, width: int, height: int, masked: bool, points: int = 32, grid: int = 8) -> tuple:
    """Load Video -> Get Video Components -> Tracks From Video (a mask from Load Image (as Mask)), and a preview."""
    nodes = [
        ("reference", "LoadVideo", 0, {"file": REFERENCE_VIDEO}),
        ("reference_frames", "GetVideoComponents", 0, {}),
        ("motion", "TracksFromVideo", 1, {"points_per_object": points, "frame_count": frames, "width": width,
                                          "height": height, "camera_mode": "object_and_camera", "grid_size": grid,
                                          "background_grid": 8, "mask_layout": "one_per_object"}),
        ("motion_preview", "PreviewImage", 1, {}),
    ]
    links = [(("reference", 0), ("reference_frames", "video")), (("reference_frames", 0), ("motion", "frames")),
             (("motion", 5), ("motion_preview", "images"))]
    if masked:
        nodes.insert(2, ("mask", "LoadImageMask", 0, {"image": REFERENCE_MASK, "channel": "alpha"}))
        links.append((("mask", 0), ("motion", "masks")))
    return nodes, links


def svd_from_video_spec(target: str) -> dict:
    nodes, links = image_input()
    motion_nodes, motion_links = reference_motion(FRAMES, WIDTH, HEIGHT, masked=True)
    nodes, links = nodes + motion_nodes, links + motion_links
    prefix = f"{target}_from_video"
    if target == "trackgo":
        nodes += [
            ("adapter", "TrackAdapterLoader", 0, {"adapter_name": TRACKGO_ADAPTER}),
            ("apply", "ApplyTrackAdapter", 1, {"strength": 1.0, "tau": -1.0, "start_percent": 0.0,
                                               "end_percent": 1.0}),
            ("overlay", "VisualizeTrackPoints", 4, {"width": WIDTH, "height": HEIGHT, "tail": 8, "point_radius": 0}),
        ]
        links += [(("checkpoint", 0), ("apply", "model")), (("motion", 0), ("apply", "tracks")),
                  (("adapter", 0), ("apply", "adapter")), (("decode", 0), ("overlay", "images")),
                  (("motion", 0), ("overlay", "tracks"))]
        model_from = ("apply", 0)
        title = "# TrackGo: motion from a reference video drives SVD"
        what = ("**Tracks From Video** tracks 32 points inside each masked object through the reference video and "
                "hands them, with the masks, to **Apply TrackGo Adapter**.")
        weights = (f"**Weights:** `{SVD_CHECKPOINT}` in `ComfyUI/models/checkpoints/`. TrackGo has no public "
                   f"weights: train an adapter (`python -m trackdiff_core.training trackgo`, docs/training.md) and put "
                   f"`{TRACKGO_ADAPTER}` in `ComfyUI/models/trackdiff/`. Without one, use cut-and-drag instead: "
                   "connect the mask_arrow_document output's text into the zero-weight cut-and-drag workflow's "
                   "**Mask Arrow To Trajectories**.")
    else:
        nodes += [
            ("editor", "TrackletEditor", 1, {"tracklets_json": TrackletDocument(FRAMES, ()).dumps()}),
            ("weights", "TrackDiffusionLoader", 0, {"weights_name": TRACKDIFFUSION_WEIGHTS}),
            ("enhancer", "InstanceEnhancer", 1, {"strength": 1.0, "start_percent": 0.0, "end_percent": 1.0,
                                                 "boxes_for_uncond": False, "consistency": 0.0,
                                                 "frame_mismatch": "resample"}),
            ("overlay", "VisualizeTracklets", 4, {"line_width": 0, "show_labels": True}),
        ]
        links += [(("scale", 0), ("editor", "image")), (("motion", 2), ("editor", "seed_document")),
                  (("checkpoint", 0), ("enhancer", "model")), (("editor", 0), ("enhancer", "tracklets")),
                  (("weights", 0), ("enhancer", "weights")), (("decode", 0), ("overlay", "images")),
                  (("editor", 0), ("overlay", "tracklets"))]
        model_from = ("enhancer", 0)
        title = "# TrackDiffusion: boxes from a reference video drive SVD"
        what = ("**Tracks From Video** tracks points inside each masked object through the reference video and "
                "writes a box document with keyframes where each box bends (and the camera layer). The **Tracklet "
                "Editor** starts from it while its own document is empty: run once, then adjust the boxes by hand "
                "(they are then yours; clear the editor to take the video's boxes again). Its boxes drive the "
                "**Instance Enhancer**.")
        weights = (f"**Weights:** `{SVD_CHECKPOINT}` in `ComfyUI/models/checkpoints/`. TrackDiffusion: "
                   "`svd_stage2/unet/diffusion_pytorch_model.safetensors` from the Hugging Face repository "
                   "`pengxiang/trackdiffusion_ytvis` into `ComfyUI/models/trackdiff/`, converted once with "
                   f"*TrackDiffusion Convert* (it writes `{TRACKDIFFUSION_WEIGHTS}`).")
    nodes += [
        ("fidelity", "MotionFidelity", 4, {"width": 0, "height": 0}),
        ("animation", "SaveAnimatedWEBP", 4, {"filename_prefix": f"trackdiff/{prefix}", "fps": 6.0,
                                              "lossless": False, "quality": 85, "method": "default"}),
    ]
    links += [(("decode", 0), ("fidelity", "video")), (("motion", 0), ("fidelity", "tracks")),
              (("overlay", 0), ("animation", "images"))]
    core_nodes, core_links = svd_core(prefix, model_from)
    notes = [(1, (560, 420), "\n\n".join([title, what, weights, VIDEO_NOTE, MASK_NOTE, CAMERA_NOTE, CROP_NOTE,
                                            SAMPLER_NOTE]))]
    return {"nodes": nodes + core_nodes, "links": links + core_links, "notes": notes}


def wan_from_video_spec(kind: str) -> dict:
    model = WAN_MOVE_MODEL if kind == "wan_move" else ATI_MODEL
    converter = "TracksForWanMove" if kind == "wan_move" else "TracksForATI"
    nodes, links = wan_inputs(model)
    motion_nodes, motion_links = reference_motion(WAN_LENGTH, WAN_WIDTH, WAN_HEIGHT, masked=False,
                                                  grid=8 if kind == "wan_move" else 4)
    nodes, links = nodes + motion_nodes, links + motion_links
    nodes += [("tracks", converter, 2, {"width": WAN_WIDTH, "height": WAN_HEIGHT, "length": WAN_LENGTH,
                                        "points_per_box": 16 if kind == "wan_move" else 4}),
              ("fidelity", "MotionFidelity", 4, {"width": 0, "height": 0})]
    links += [(("motion", 0), ("tracks", "tracks")), (("decode", 0), ("fidelity", "video")),
              (("motion", 0), ("fidelity", "tracks"))]
    prefix = f"{kind}_from_video"
    for part in (wan_conditioning(kind, "tracks"),
                 wan_sampling(prefix, "conditioning", ("tracks", 0) if kind == "wan_move" else None)):
        nodes, links = nodes + part[0], links + part[1]
    grid = ("an 8×8 grid of points (64 tracks) over the whole frame" if kind == "wan_move" else
            "a 4×4 grid of points (16 tracks: ATI spreads each over its neighbourhood)")
    what = (f"**Tracks From Video** tracks {grid} through the reference video, resampled to {WAN_LENGTH} frames at "
            f"{WAN_WIDTH}×{WAN_HEIGHT}, and **{'Tracks For Wan-Move' if kind == 'wan_move' else 'Tracks For ATI'}** "
            "hands them to Wan. To move only some objects, connect a mask (Load Image (as Mask)) to its masks "
            "input. " + VIDEO_NOTE + " " + CAMERA_NOTE)
    if kind == "wan_move":
        notes = wan_notes("Wan-Move: motion from a reference video drives Wan 2.1", what,
                          "the Wan-Move 14B model (`ali-vilab/Wan-Move`; a ComfyUI file is in `Kijai/WanVideo_comfy`, "
                          f"folder `WanMove/`, e.g. `{WAN_MOVE_MODEL}`)")
    else:
        notes = wan_notes("ATI: motion from a reference video drives Wan 2.1", what,
                          f"the ATI 14B model (`bytedance/ATI`; ComfyUI file `{ATI_MODEL}` from "
                          "`Kijai/WanVideo_comfy`)")
    return {"nodes": nodes, "links": links, "notes": notes}


FROM_VIDEO_SPECS = {
    "trackgo_from_video": lambda: svd_from_video_spec("trackgo"),
    "trackdiffusion_from_video": lambda: svd_from_video_spec("trackdiffusion"),
    "wan_move_from_video": lambda: wan_from_video_spec("wan_move"),
    "wan_ati_from_video": lambda: wan_from_video_spec("ati"),
}


WAN_SPECS = {
    "wan_move_boxes": wan_move_boxes_spec,
    "wan_move_mask_arrows": lambda: wan_mask_arrows_spec("wan_move"),
    "wan_ati_mask_arrows": lambda: wan_mask_arrows_spec("ati"),
}

SPECS = {
    "trackdiffusion_boxes": trackdiffusion_spec,
    "trackdiffusion_tracks_from_file": lambda: trackdiffusion_spec(from_file=True),
    "trackgo_mask_arrows": trackgo_spec,
    "trackgo_zero_weight_cut_and_drag": zero_weight_spec,
    **WAN_SPECS,
    **FROM_VIDEO_SPECS,
}

BUILD_JS = """async (spec) => {
    const app = window.app;
    app.graph.clear();
    const made = {};
    const columns = [];
    const place = (node, column) => { (columns[column] ||= []).push(node); };
    for (const [key, type, column, widgets] of spec.nodes) {
        const node = window.LiteGraph.createNode(type);
        if (!node) throw new Error(`unknown node type ${type}`);
        app.graph.add(node);
        for (const [name, value] of Object.entries(widgets)) {
            const widget = node.widgets?.find((w) => w.name === name);
            if (!widget) throw new Error(`${type} has no widget ${name}`);
            widget.value = value;
        }
        if (type === "LoadImage") node.setSize([Math.max(node.size[0], 320), Math.max(node.size[1], 380)]);  // room for the preview
        made[key] = node;
        place(node, column);
    }
    for (const [[fromKey, slot], [toKey, input]] of spec.links) {
        const from = made[fromKey], to = made[toKey];
        const index = to.findInputSlot(input);
        if (index < 0) throw new Error(`${to.type} has no input ${input}`);
        if (!from.connect(slot, to, index)) throw new Error(`cannot connect ${from.type}[${slot}] -> ${to.type}.${input}`);
    }
    for (const [column, size, text] of spec.notes) {
        const note = window.LiteGraph.createNode("MarkdownNote");
        app.graph.add(note);
        note.widgets[0].value = text;
        note.setSize(size);
        place(note, column);
    }
    await new Promise(requestAnimationFrame);
    // Lay the columns out left to right, each node under the previous one, with room for titles.
    const gap = 50, title = window.LiteGraph.NODE_TITLE_HEIGHT || 30;
    let x = 40;
    for (const nodes of columns) {
        if (!nodes) continue;
        let y = 40 + title;
        for (const node of nodes) {
            node.pos = [x, y];
            y += node.size[1] + title + gap;
        }
        x += Math.max(...nodes.map((n) => n.size[0])) + gap;
    }
    app.graph.setDirtyCanvas(true, true);
    await new Promise(requestAnimationFrame);
    return JSON.stringify(app.graph.serialize());
}"""


def build_workflows(names: list[str] | None = None) -> dict[str, dict]:
    import comfy_host
    from editor_page import ComfyPage, launch
    from playwright.sync_api import sync_playwright

    results = {}
    with tempfile.TemporaryDirectory() as folder:
        base = comfy_host.make_base_directory(Path(folder), Path(folder) / "no_checkpoint.safetensors")
        server = comfy_host.ComfyServer(base).start()
        try:
            with sync_playwright() as playwright:
                browser = launch(playwright)
                page = ComfyPage(browser, server, vue=False)
                for name, spec in SPECS.items():
                    if names is None or name in names:
                        results[name] = json.loads(page.js(BUILD_JS, spec()))
                info = server.get("/object_info")
                used = sorted({n["type"] for w in results.values() for n in w["nodes"]} & set(info))
                schemas = json.loads(SCHEMAS.read_text()) if names is not None and SCHEMAS.exists() else {}
                schemas.update(normalise({t: info[t] for t in used}))  # a partial build keeps the other types
                SCHEMAS.write_text(json.dumps(schemas, indent=1, sort_keys=True) + "\n")
                assert not page.errors, page.errors
                page.close()
                browser.close()
        finally:
            server.stop()
    return results


# -- thumbnails ------------------------------------------------------------------------------------------------------
def scene(width: int = 512, height: int = 288) -> np.ndarray:
    """A simple outdoor-looking frame: sky, ground, a road."""
    y = np.linspace(0, 1, height)[:, None, None]
    sky = np.array([0.45, 0.62, 0.85]) * (1 - 0.4 * y) + 0.25 * y
    ground = np.array([0.33, 0.45, 0.25]) + 0.05 * np.sin(np.linspace(0, 20, width))[None, :, None]
    image = np.where(y < 0.5, sky, ground).astype(np.float32)
    image = np.broadcast_to(image, (height, width, 3)).copy()
    image[int(0.62 * height):int(0.8 * height)] = (0.35, 0.35, 0.38)
    return image[None]


def thumbnails() -> dict[str, np.ndarray]:
    base = scene()
    boxes = BOX_DOCUMENT.to_tracklets(FRAMES)
    trajectories = build_objects(MASK_ARROW_DOCUMENT, points_k=24, points_s=1, frame_count=FRAMES, width=512,
                                 height=288).trajectories  # the node's own path from document to trajectories
    paths = [obj.path for obj in MASK_ARROW_DOCUMENT.objects]
    masks = np.stack([o.decoded_mask() for o in MASK_ARROW_DOCUMENT.objects])
    colors = [o.color for o in MASK_ARROW_DOCUMENT.objects]
    boxes_frame = draw_tracklets(np.repeat(base, FRAMES, 0), boxes)[FRAMES // 2]
    arrows = draw_paths(draw_masks(base, masks, colors), paths, colors)[0]
    points = draw_trajectories(base, trajectories, tail=FRAMES, colors=colors)[-1]
    return {
        "trackdiffusion_boxes": boxes_frame,
        "trackdiffusion_tracks_from_file": draw_tracklets(base, boxes.resample(1))[0],
        "trackgo_mask_arrows": points,
        "trackgo_zero_weight_cut_and_drag": arrows,
    }


def wan_thumbnails() -> dict[str, np.ndarray]:
    """At Wan's aspect (832×480): the boxes' point grids, and the masks' points, over the example scene."""
    from trackdiff_core.wan_tracks import gather_trajectories

    base = scene(416, 240)
    boxes = BOX_DOCUMENT.to_tracklets(FRAMES)
    colors = [o.color for o in MASK_ARROW_DOCUMENT.objects]
    grid = gather_trajectories(tracklets=boxes, points_per_box=16, frames=WAN_LENGTH)
    masks32 = build_objects(MASK_ARROW_DOCUMENT, points_k=32, points_s=1, frame_count=WAN_LENGTH, width=416,
                            height=240).trajectories
    masks4 = build_objects(MASK_ARROW_DOCUMENT, points_k=4, points_s=1, frame_count=WAN_LENGTH, width=416,
                           height=240).trajectories
    box_colors = [o.color for o in BOX_DOCUMENT.objects]
    return {
        "wan_move_boxes": draw_trajectories(draw_tracklets(base, boxes.resample(1)), grid, tail=WAN_LENGTH,
                                            colors=box_colors)[-1],
        "wan_move_mask_arrows": draw_trajectories(base, masks32, tail=WAN_LENGTH, colors=colors)[-1],
        "wan_ati_mask_arrows": draw_trajectories(base, masks4, tail=WAN_LENGTH, colors=colors)[-1],
    }


def from_video_thumbnails() -> dict[str, np.ndarray]:
    """What Tracks From Video reads from a generated clip (a textured square moving over texture, the camera panning
    in the Wan ones), drawn over the example scene: the object's mask, its points' paths and, for boxes, its box."""
    from moving_square_clips import moving_square
    from trackdiff_core.motion.video_motion import motion_from_video

    out = {}
    for name, (width, height, masked) in {"trackgo_from_video": (512, 288, True),
                                          "trackdiffusion_from_video": (512, 288, True),
                                          "wan_move_from_video": (416, 240, False),
                                          "wan_ati_from_video": (416, 240, False)}.items():
        clip = moving_square(frames=14, width=width, height=height, size=height // 3, start=(width // 8, height // 2),
                             step=(width / 30, -height / 60), camera_step=0.0 if masked else 3.0)
        motion = motion_from_video(clip.frames, clip.mask[None] if masked else None, points_per_object=24,
                                   frame_count=14, width=width, height=height, grid_size=8 if "move" in name else 4)
        colors = [o["color"] for o in motion.objects]
        base = scene(width, height)
        if masked:
            base = draw_masks(base, motion.masks, colors)
        frames = np.repeat(base, 14, axis=0)
        if name == "trackdiffusion_from_video":
            frames = draw_tracklets(frames, motion.tracklets, show_labels=False)
        out[name] = draw_trajectories(frames, motion.trajectories, tail=14, colors=colors)[-1]
    return out


def main(names: list[str] | None = None) -> None:
    """Build every workflow, or only ``names`` (``python tools/make_workflows.py trackgo_from_video ...``: the other
    files, and the other types of the schema snapshot, are left as they are)."""
    import cv2

    unknown = sorted(set(names or ()) - set(SPECS))
    if unknown:
        raise SystemExit(f"unknown workflows {unknown}; known: {sorted(SPECS)}")
    OUT.mkdir(exist_ok=True)
    SCHEMAS.parent.mkdir(parents=True, exist_ok=True)
    images = {}
    if names is None:
        (OUT / EXAMPLE_TRACKS).write_text(MOT_EXAMPLE)
        images.update({**thumbnails(), **wan_thumbnails()})
    if names is None or set(names) & set(FROM_VIDEO_SPECS):
        images.update(from_video_thumbnails())
    for name, image in images.items():
        if names is None or name in names:
            cv2.imwrite(str(OUT / f"{name}.jpg"), cv2.cvtColor((image * 255).astype(np.uint8), cv2.COLOR_RGB2BGR),
                        [cv2.IMWRITE_JPEG_QUALITY, 88])
    for name, workflow in build_workflows(names).items():
        (OUT / f"{name}.json").write_text(json.dumps(workflow, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:] or None)
