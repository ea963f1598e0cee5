"""Socket types: TrackDiff's own ``TRACKLETS`` and ComfyUI's core ``TRACKS``."""

from comfy_api.latest import io

# A trackdiff_core.Tracklets object: normalised boxes per object per frame (see trackdiff_core/tracklets.py).
Tracklets = io.Custom("TRACKLETS")

# Core's point-track dict {"track_path": float[T, P, 2] pixels, "track_visibility": bool[T, P]}. Older ComfyUI builds
# have no io.Tracks; the same type string keeps the sockets compatible with core nodes either way.
Tracks = getattr(io, "Tracks", None) or io.Custom("TRACKS")

# A trackdiff_core.trackdiffusion.TrackDiffusionWeights object (box encoder, fusers, re-trained UNet tensors, and an
# optional Instance Enhancer), from the TrackDiffusion Loader.
TrackDiffusionWeights = io.Custom("TRACKDIFFUSION_WEIGHTS")
