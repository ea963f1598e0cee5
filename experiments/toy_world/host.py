"""ComfyUI as a library for the toy-world experiment: the tiny SVD's model config registered, the pack importable.

The experiment reuses the host tests' support package (``tests/host/support/trackdiff_test_support``): ComfyUI's
detector only accepts full-width SVD, and that package registers the tiny one. ComfyUI's folder comes from
``--comfyui`` or ``COMFYUI_PATH``.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
HOST_TESTS = REPO_ROOT / "tests" / "host"


def comfyui_folder(given: str | None) -> Path:
    folder = given or os.environ.get("COMFYUI_PATH")
    if not folder or not (Path(folder) / "comfy").is_dir():
        raise SystemExit("give ComfyUI's folder with --comfyui or COMFYUI_PATH (the folder that holds main.py)")
    return Path(folder).resolve()


PACK = "trackdiff_pack"  # the name trackdiff_core.training.backend gives the repository imported as a package


class _CoreIsThePacks(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``import trackdiff_core.x`` gives the pack's own ``trackdiff_pack.trackdiff_core.x``: one copy of the code, so
    the experiment's objects are the same classes the pack's ComfyUI glue (``nodes/``) checks for."""

    def find_spec(self, name, path=None, target=None):
        if name == "trackdiff_core" or name.startswith("trackdiff_core."):
            return importlib.util.spec_from_loader(name, self)
        return None

    def create_module(self, spec):
        return importlib.import_module(f"{PACK}.{spec.name}")

    def exec_module(self, module):
        """Already executed as the pack's module."""


def import_pack():
    """The repository as the package ``trackdiff_pack`` (as the training CLI imports it), with ``trackdiff_core``
    resolving to its copy. Must run before anything imports ``trackdiff_core``."""
    if PACK not in sys.modules:
        if "trackdiff_core" in sys.modules:
            raise RuntimeError("trackdiff_core was imported before the pack: call use_comfyui() first")
        spec = importlib.util.spec_from_file_location(PACK, REPO_ROOT / "__init__.py",
                                                      submodule_search_locations=[str(REPO_ROOT)])
        module = importlib.util.module_from_spec(spec)
        sys.modules[PACK] = module
        spec.loader.exec_module(module)
    if not any(isinstance(finder, _CoreIsThePacks) for finder in sys.meta_path):
        sys.meta_path.insert(0, _CoreIsThePacks())
    return sys.modules[PACK]


def use_comfyui(given: str | None) -> Path:
    """Import ComfyUI in CPU mode with the tiny SVD registered, then the pack; returns ComfyUI's folder."""
    folder = comfyui_folder(given)
    os.environ["COMFYUI_PATH"] = str(folder)
    if str(HOST_TESTS) not in sys.path:
        sys.path.insert(0, str(HOST_TESTS))
    importlib.import_module("comfy_host").use_comfy_as_library()
    import_pack()
    return folder


def training_cli():
    """The pack's own training entry point (``python -m trackdiff_core.training``), imported as the pack."""
    return importlib.import_module(f"{PACK}.trackdiff_core.training.cli")
