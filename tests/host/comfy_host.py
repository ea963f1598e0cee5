"""Run a real ComfyUI for tests: as a library in this process, or as a server on loopback driven over its HTTP API.

The server gets a throw-away base directory holding only this pack and the test-only support node in ``custom_nodes``
(the pack under a folder name with capitals and a hyphen, so nothing may depend on the folder's name), the tiny SVD
checkpoint and a test image. It runs with ``--cpu`` and ``OMP_NUM_THREADS=1``, and is stopped by its process group.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SUPPORT_DIR = Path(__file__).resolve().parent / "support"
PACK_FOLDER_NAME = "ComfyUI-TrackDiff"
SUPPORT_FOLDER_NAME = "trackdiff_test_support"
TINY_CHECKPOINT = "trackdiff_tiny_svd.safetensors"
TEST_IMAGE = "trackdiff_test_image.png"


def comfy_path() -> Path | None:
    value = os.environ.get("COMFYUI_PATH")
    return Path(value).resolve() if value else None


def use_comfy_as_library() -> Path:
    """Put ComfyUI and the support package on ``sys.path`` and import ComfyUI in CPU mode."""
    root = comfy_path()
    if root is None or not (root / "comfy").is_dir():
        raise RuntimeError(f"COMFYUI_PATH={os.environ.get('COMFYUI_PATH')!r} is not a ComfyUI checkout")
    for path in (str(root), str(SUPPORT_DIR)):
        if path not in sys.path:
            sys.path.insert(0, path)
    import comfy.cli_args

    comfy.cli_args.args.cpu = True
    import trackdiff_test_support  # noqa: F401  (registers the tiny SVD)

    return root


def write_test_image(path: Path, width: int = 96, height: int = 64) -> Path:
    """A deterministic colourful image (gradients and a square) saved as PNG."""
    import numpy as np
    from PIL import Image

    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x / width, y / height, 0.5 + 0.5 * np.sin(x / 7.0) * np.cos(y / 5.0)], axis=-1)
    rgb[height // 4 : height // 2, width // 4 : width // 2] = (0.9, 0.2, 0.1)
    Image.fromarray((rgb * 255).astype("uint8")).save(path)
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_base_directory(base: Path, checkpoint: Path) -> Path:
    """``custom_nodes`` with the pack and the support node, the tiny checkpoint, and the test image."""
    (base / "custom_nodes").mkdir(parents=True, exist_ok=True)
    for name, target in ((PACK_FOLDER_NAME, REPO_ROOT), (SUPPORT_FOLDER_NAME, SUPPORT_DIR / SUPPORT_FOLDER_NAME)):
        link = base / "custom_nodes" / name
        if not link.exists():
            link.symlink_to(target, target_is_directory=True)
    (base / "models" / "checkpoints").mkdir(parents=True, exist_ok=True)
    link = base / "models" / "checkpoints" / TINY_CHECKPOINT
    if not link.exists():
        link.symlink_to(checkpoint)
    (base / "input").mkdir(exist_ok=True)
    write_test_image(base / "input" / TEST_IMAGE)
    from reference_video import write_reference_files

    write_reference_files(base / "input")  # a clip with exact motion for Load Video (and its first-frame mask)
    return base


class ComfyServer:
    """A ComfyUI server process on loopback."""

    def __init__(self, base: Path, port: int | None = None, python: str | None = None):
        self.base = base
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = base / "comfyui.log"
        self.python = python or sys.executable
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 180.0) -> "ComfyServer":
        root = comfy_path()
        env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
        cmd = [
            self.python, str(root / "main.py"), "--cpu", "--listen", "127.0.0.1", "--port", str(self.port),
            "--base-directory", str(self.base), "--disable-auto-launch", "--disable-api-nodes",
            "--database-url", "sqlite:///:memory:", "--preview-method", "none",
        ]
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ComfyUI exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                self.get("/system_stats", timeout=2)
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"ComfyUI did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        pgid = os.getpgid(self.process.pid)
        os.killpg(pgid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.process.wait(timeout=15)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    # -- HTTP ----------------------------------------------------------------------------------------------------------
    def get(self, route: str, timeout: float = 30.0):
        with urllib.request.urlopen(self.url + route, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body[:1] in (b"{", b"[") else body

    def post(self, route: str, payload: dict, timeout: float = 30.0):
        request = urllib.request.Request(
            self.url + route, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:  # validation errors come back as 400 with a JSON body
            body = exc.read().decode(errors="replace")
            raise PromptRejected(exc.code, body) from None

    def queue_prompt(self, prompt: dict) -> str:
        result = self.post("/prompt", {"prompt": prompt, "client_id": uuid.uuid4().hex})
        return result["prompt_id"]

    def wait_for(self, prompt_id: str, timeout: float = 300.0) -> dict:
        """The prompt's history entry once it has finished; raises with the server's error if it failed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            history = self.get(f"/history/{prompt_id}")
            entry = history.get(prompt_id) if isinstance(history, dict) else None
            if entry and entry.get("status", {}).get("completed") is not None and (
                entry["status"]["completed"] or entry["status"].get("status_str") == "error"
            ):
                if entry["status"].get("status_str") == "error":
                    raise PromptFailed(entry["status"].get("messages", []))
                return entry
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"ComfyUI died while running the prompt:\n{self.log_tail()}")
            time.sleep(0.1)
        raise TimeoutError(f"prompt {prompt_id} did not finish within {timeout:.0f} s:\n{self.log_tail()}")

    def run(self, prompt: dict, timeout: float = 300.0) -> dict:
        """Queue ``prompt`` and return its outputs (node id -> ui dict)."""
        return self.wait_for(self.queue_prompt(prompt), timeout)["outputs"]

    def view_image(self, image: dict):
        """Fetch an output image listed in a ui dict as an ``[H, W, 3]`` float array."""
        import io

        import numpy as np
        from PIL import Image

        query = "&".join(f"{k}={urllib.request.quote(str(v))}" for k, v in image.items() if k in ("filename", "subfolder", "type"))
        data = self.get(f"/view?{query}")
        return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype="float32") / 255.0


class PromptRejected(RuntimeError):
    def __init__(self, status: int, body: str):
        self.status = status
        self.body = body
        try:
            self.data = json.loads(body)
        except json.JSONDecodeError:
            self.data = None
        super().__init__(f"/prompt answered {status}: {body[:2000]}")


class PromptFailed(RuntimeError):
    def __init__(self, messages: list):
        self.messages = messages
        errors = [m[1] for m in messages if m and m[0] == "execution_error"]
        self.error = errors[0] if errors else {}
        super().__init__(
            f"prompt failed in node {self.error.get('node_type')}: {self.error.get('exception_message', messages)}"
        )
