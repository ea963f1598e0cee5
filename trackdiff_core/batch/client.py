"""A small HTTP client for one ComfyUI server (``/prompt``, ``/history``, ``/view``, ``/upload/image``)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path


class ServerError(RuntimeError):
    """The server refused or failed a prompt; the message is the server's own."""


class ComfyClient:
    def __init__(self, url: str, timeout: float = 60.0):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.client_id = uuid.uuid4().hex

    def __repr__(self) -> str:
        return f"ComfyClient({self.url})"

    def _open(self, request, timeout=None):
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            body = exc.read().decode(errors="replace")
            raise ServerError(f"{self.url} answered {exc.code}: {_explain(body)}") from None
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
            raise ServerError(f"{self.url} could not be reached: {exc}") from None

    def get_json(self, route: str):
        return json.loads(self._open(self.url + route))

    def get_bytes(self, route: str) -> bytes:
        return self._open(self.url + route)

    def post_json(self, route: str, payload: dict):
        request = urllib.request.Request(
            self.url + route, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
        )
        return json.loads(self._open(request))

    def object_info(self) -> dict:
        return self.get_json("/object_info")

    def upload_image(self, path: Path, name: str, subfolder: str = "trackdiff_batch") -> str:
        """Upload ``path`` as ``name`` into the input folder; returns the value a LoadImage ``image`` input takes."""
        boundary = uuid.uuid4().hex
        parts = []
        for key, value in (("subfolder", subfolder), ("type", "input"), ("overwrite", "true")):
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode())
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="{name}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n".encode()
            + Path(path).read_bytes() + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        request = urllib.request.Request(
            self.url + "/upload/image", data=b"".join(parts),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        answer = json.loads(self._open(request))
        return f"{answer['subfolder']}/{answer['name']}" if answer.get("subfolder") else answer["name"]

    def queue(self, prompt: dict) -> str:
        return self.post_json("/prompt", {"prompt": prompt, "client_id": self.client_id})["prompt_id"]

    def wait(self, prompt_id: str, timeout: float, poll: float = 0.25) -> dict:
        """The outputs of a finished prompt; raises :class:`ServerError` with the server's message if it failed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            entry = self.get_json(f"/history/{prompt_id}").get(prompt_id)
            status = (entry or {}).get("status", {})
            if status.get("status_str") == "error":
                raise ServerError(f"{self.url}: {_execution_error(status.get('messages', []))}")
            if entry and status.get("completed"):
                return entry.get("outputs", {})
            time.sleep(poll)
        raise ServerError(f"{self.url}: prompt {prompt_id} did not finish within {timeout:.0f} s")

    def view(self, image: dict) -> bytes:
        query = urllib.parse.urlencode({k: image.get(k, "") for k in ("filename", "subfolder", "type")})
        return self.get_bytes(f"/view?{query}")


def _explain(body: str) -> str:
    try:
        data = json.loads(body)
    except json.JSONDecodeError:
        return body[:500]
    messages = [data.get("error", {}).get("message", "")]
    for node_id, node in (data.get("node_errors") or {}).items():
        for err in node.get("errors", []):
            messages.append(f"node {node_id} ({node.get('class_type')}): {err.get('message')}: {err.get('details')}")
    return "; ".join(m for m in messages if m) or body[:500]


def _execution_error(messages: list) -> str:
    for kind, data in messages:
        if kind == "execution_error":
            return f"node {data.get('node_id')} ({data.get('node_type')}) failed: {data.get('exception_message', '').strip()}"
    return "the prompt failed"
