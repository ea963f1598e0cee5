"""The repository imports as a package without ComfyUI, whatever its folder is called, as ComfyUI loads it."""

import importlib.util
import inspect
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_as(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "__init__.py", submodule_search_locations=[str(ROOT)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_entry_point_imports_without_comfyui():
    pack = load_as("ComfyUI-TrackDiff_x_copy")  # a name with a hyphen, as a cloned folder would have
    assert pack.WEB_DIRECTORY == "./js"
    assert (ROOT / "js").is_dir()
    assert inspect.iscoroutinefunction(pack.comfy_entrypoint)
    core = importlib.import_module("ComfyUI-TrackDiff_x_copy.trackdiff_core")
    assert core.Tracklets.__module__.endswith("trackdiff_core.tracklets")


def test_core_never_imports_comfy():
    for path in (ROOT / "trackdiff_core").rglob("*.py"):
        text = path.read_text()
        assert "import comfy" not in text and "from comfy" not in text, path


def test_no_print_calls_in_shipped_code():
    for folder in ("trackdiff_core", "nodes"):
        for path in (ROOT / folder).rglob("*.py"):
            assert "print(" not in path.read_text(), f"{path} uses print; use logging"


def test_requirements_mirror_pyproject():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    assert sorted(listed) == sorted(project["dependencies"])
    assert not any(d.split("=")[0].split(">")[0].strip() == "torch" for d in project["dependencies"])
    assert "comfyui" not in project["name"].lower()


def test_readme_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- test-command -->")[1].split("<!-- /test-command -->")[0]
    commands = [line for line in block.splitlines() if line.strip() and not line.startswith("```")]
    assert len(commands) >= 1, "README.md must show the test command between the markers"
    assert "<!-- test-command -->" in (ROOT / ".ci" / "run").read_text()
