"""Preview bounds: any allowed frame size and frame count gives a small preview."""

import numpy as np

from trackdiff_core.preview import MAX_PIXELS, MAX_POINT_FRAMES, box_frames, point_subset, preview_base, preview_size


def test_previews_fit_the_side_and_pixel_bounds():
    for width, height, frames in [(16, 8192, 1), (8192, 16, 4096), (1024, 576, 14), (1024, 576, 4096), (96, 64, 6)]:
        w, h = preview_size(width, height, frames, enlarge=True)
        assert max(w, h) <= 512 and w * h * frames <= MAX_PIXELS * 1.01 + frames
        assert abs(w / h - width / height) < 0.2 * width / height or min(w, h) == 1
    assert preview_size(96, 64, 6, enlarge=True) == (512, 341)  # a small gray frame is drawn at 512 px
    assert preview_size(96, 64, 6) == (96, 64)  # an image is never enlarged
    image = np.random.default_rng(0).random((1, 4000, 3000, 3), dtype=np.float32)
    assert preview_base(image, 0, 0, 4096).shape[1:3] == preview_size(3000, 4000, 4096)[::-1]  # (h, w)


def test_points_and_boxes_drawn_are_bounded():
    assert point_subset(32, 14) is None
    subset = point_subset(4096 * 8, 4096)
    assert len(subset) * 4096 <= MAX_POINT_FRAMES and subset[0] == 0 and subset[-1] == 4096 * 8 - 1
    assert box_frames(14, 3) == 14 and box_frames(4096, 256) == 128
