"""Motion from video: a weight-free point tracker (OpenCV), camera homographies, TAP-Vid metrics and ObjMC.

Never imports ComfyUI. See ``docs/motion-from-video.md`` for the design and its measurement.
"""

from .camera import CameraEstimate, estimate_camera
from .config import TrackerConfig
from .fidelity import MotionFidelity, motion_fidelity
from .metrics import THRESHOLDS, tapvid_metrics
from .result import TrackResult
from .tracker import track_points

__all__ = [
    "CameraEstimate",
    "MotionFidelity",
    "THRESHOLDS",
    "TrackResult",
    "TrackerConfig",
    "estimate_camera",
    "motion_fidelity",
    "tapvid_metrics",
    "track_points",
]
