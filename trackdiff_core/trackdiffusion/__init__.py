"""TrackDiffusion (Li et al., arXiv 2312.00651) for SVD, in plain torch: box encoder, gated self-attention fusers,
the Instance Enhancer, the training-free instance-consistency option, and the weights (released diffusers files and our
versioned format). Nothing here imports ComfyUI; attention functions and layer ``operations`` are passed in."""

from .attention import naive_attention, sdpa_attention
from .box_encoder import BoxEncoder, BoxLayout, fourier_features, infer_layout
from .fuser import GatedSelfAttentionFuser
from .instance_consistency import anchored_self_attention
from .instance_enhancer import DECODER_SITES, InstanceEnhancer
from .modules import TrackDiffusionModules
from .object_slots import FRAME_POLICIES, SlotBoxes, slot_boxes
from .roi_align import roi_align, roi_mean
from .weights import LoadReport, TrackDiffusionWeights, load_released, load_weights
from .weights_format import FORMAT_NAME, FORMAT_VERSION, load_trackdiff_file, save_weights

__all__ = [
    "BoxEncoder", "BoxLayout", "DECODER_SITES", "FORMAT_NAME", "FORMAT_VERSION", "FRAME_POLICIES",
    "GatedSelfAttentionFuser", "InstanceEnhancer", "LoadReport", "SlotBoxes", "TrackDiffusionModules",
    "TrackDiffusionWeights", "anchored_self_attention", "fourier_features", "infer_layout", "load_released",
    "load_trackdiff_file", "load_weights", "naive_attention", "roi_align", "roi_mean", "save_weights",
    "sdpa_attention", "slot_boxes",
]
