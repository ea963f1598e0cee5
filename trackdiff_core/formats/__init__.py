"""Conversions between TrackDiff's data types and the formats other tools speak.

* :mod:`.tracks_dict` - ComfyUI's core ``TRACKS`` socket type (pixels at an explicit width × height).
* :mod:`.coords_json` - the coordinate JSON of KJNodes' spline editor and core ``WanMoveTracksFromCoords``.
* :mod:`.mot` - MOT-Challenge ``gt.txt``.
* :mod:`.coco_vid` - COCO-VID and YouTube-VIS annotation JSON.
"""
