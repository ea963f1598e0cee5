"""The ``models/trackdiff/`` folder for TrackDiff's weights, registered with ComfyUI's ``folder_paths``."""

import logging
import os

import folder_paths

FOLDER_NAME = "trackdiff"
EXTENSIONS = {".safetensors", ".sft"}  # safetensors only: weights are never unpickled

log = logging.getLogger(__name__)


def register_model_folder() -> str:
    """Add ``<models>/trackdiff`` (keeping any path a user set in extra_model_paths.yaml) and return it."""
    path = os.path.join(folder_paths.models_dir, FOLDER_NAME)
    if FOLDER_NAME in folder_paths.folder_names_and_paths:
        paths, extensions = folder_paths.folder_names_and_paths[FOLDER_NAME]
        if path not in paths:
            paths.append(path)
        folder_paths.folder_names_and_paths[FOLDER_NAME] = (paths, set(extensions) | EXTENSIONS)
    else:
        folder_paths.folder_names_and_paths[FOLDER_NAME] = ([path], set(EXTENSIONS))
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:  # a read-only models folder is not an error until weights are needed
        log.warning("TrackDiff: could not create %s (%s)", path, exc)
    return path
