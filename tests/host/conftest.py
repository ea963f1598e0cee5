"""Fixtures for tests that need a real ComfyUI (found through ``COMFYUI_PATH``; skipped with a reason when unset)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import comfy_host  # noqa: E402

SKIP_REASON = (
    "COMFYUI_PATH is not set: the host tests need a ComfyUI checkout with its requirements installed "
    "(see tests/host/README.md)"
)


def pytest_collection_modifyitems(config, items):
    if comfy_host.comfy_path() is not None:
        return
    here = Path(__file__).resolve().parent
    marker = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(marker)


@pytest.fixture(scope="session")
def comfy_lib():
    """ComfyUI imported as a library in this process (CPU), with the tiny SVD registered."""
    return comfy_host.use_comfy_as_library()


@pytest.fixture(scope="session")
def tiny_svd_path(comfy_lib, tmp_path_factory) -> Path:
    from trackdiff_test_support.tiny_svd import write_tiny_svd

    path = tmp_path_factory.mktemp("tiny_svd") / comfy_host.TINY_CHECKPOINT
    return Path(write_tiny_svd(str(path), seed=0))


@pytest.fixture(scope="session")
def comfy_server(tiny_svd_path, tmp_path_factory):
    """A live ComfyUI on loopback with this pack and the support node loaded."""
    base = comfy_host.make_base_directory(tmp_path_factory.mktemp("comfy_base"), tiny_svd_path)
    server = comfy_host.ComfyServer(base).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def tiny_svd(comfy_lib, tiny_svd_path):
    """The tiny SVD loaded in this process (``svd_runner.TinySVD``): model, clip vision, VAE and sampling helpers."""
    from svd_runner import TinySVD

    return TinySVD(tiny_svd_path)


@pytest.fixture(scope="session")
def pack(comfy_lib):
    """This repository imported as ComfyUI would import it (a package with a hyphenated name)."""
    import importlib.util

    name = "ComfyUI-TrackDiff_host_test"
    if name in sys.modules:
        return sys.modules[name]
    root = comfy_host.REPO_ROOT
    spec = importlib.util.spec_from_file_location(name, root / "__init__.py", submodule_search_locations=[str(root)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (skipped, or failed on CI, when either is missing)."""
    import editor_page  # noqa: F401  (puts tests/browser on sys.path)
    from chromium import browser_session

    with browser_session() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def canvas_page(browser, comfy_server):
    """ComfyUI's frontend in a browser tab, in the classic canvas mode (``editor_page.ComfyPage``)."""
    from editor_page import ComfyPage

    ui = ComfyPage(browser, comfy_server, vue=False)
    yield ui
    ui.close()


@pytest.fixture(params=["canvas", "vue"])
def ui(request, browser, comfy_server):
    """A fresh ComfyUI frontend tab in each of the two modes (classic canvas, Vue nodes), with a cleared graph; it
    fails the test on any uncaught error in the page."""
    from editor_page import ComfyPage

    page = ComfyPage(browser, comfy_server, request.param == "vue")
    page.clear()
    yield page
    try:
        assert page.errors == [], f"uncaught errors in the page: {page.errors}"
    finally:
        page.close()


@pytest.fixture(scope="module")
def tiny_models_installed(comfy_server, tiny_svd, pack):
    """The tiny test models the shipped workflows' loaders name, written into the live server's model folders."""
    from workflow_setup import install_test_models

    install_test_models(comfy_server.base, tiny_svd.model, pack)
