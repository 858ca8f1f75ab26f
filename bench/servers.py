"""The servers of a benchmark run: gunicorn (the service, or the bare Flask app) and nginx (a static file,
or the deployment's front), each started as a child process, waited for, measured and stopped."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

#: gunicorn's advice, and docs/deploy.md's: 2 × cores + 1 workers.
WORKERS = 2 * (os.cpu_count() or 1) + 1


class ServerError(RuntimeError):
    """A server did not start or did not answer; the message says which and shows its log."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server running as a child process, with its log file and its base URL."""

    def __init__(self, name: str, command: list[str], log: Path, port: int, **popen):
        self.name = name
        self.log = log
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        with log.open("w") as output:
            self.process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, **popen)

    def log_tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_until_up(self, path: str, timeout: float = 60.0) -> None:
        """Wait until ``path`` answers (any HTTP status but 5xx); fail with the log if the server exits."""
        deadline = time.monotonic() + timeout
        problem = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"{self.name} exited with status {self.process.returncode}:\n{self.log_tail()}")
            try:
                urllib.request.urlopen(self.base + path, timeout=5).close()
                return
            except urllib.error.HTTPError as exc:
                if exc.code < 500:
                    return
                problem = f"HTTP {exc.code}"
            except OSError as exc:
                problem = str(exc)
            time.sleep(0.2)
        raise ServerError(f"{self.name} did not answer {self.base}{path} in {timeout:.0f} s ({problem}):\n{self.log_tail()}")

    def worker_rss(self) -> list[int]:
        """The resident memory (kB) of each child of the master: gunicorn's workers, nginx's workers."""
        found = subprocess.run(["ps", "--ppid", str(self.process.pid), "-o", "pid="], capture_output=True, text=True)
        sizes = []
        for pid in found.stdout.split():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue  # gone meanwhile
            sizes += [int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")]
        return sizes

    def stop(self) -> None:
        """SIGTERM (gunicorn and nginx both shut down gracefully on it), then SIGKILL after 20 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def gunicorn(name: str, app: str, env: dict[str, str], folder: Path, cwd: str | None = None) -> Server:
    """gunicorn with WORKERS sync workers (no --preload, as docs/deploy.md runs it), on a free port."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-b", f"127.0.0.1:{port}", app]
    return Server(name, command, folder / f"{name}.log", port, env=env, cwd=cwd or folder)


def readable(path: Path) -> Path:
    """A folder nginx's workers may use: they run as ``nobody`` when nginx starts as root."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(path, "nobody", "nogroup")
    return path


def nginx(name: str, folder: Path, http_conf: str, port: int) -> Server:
    """nginx in a folder of its own (pid, logs, temporary files), running ``http_conf`` (a file for the
    ``http`` block, as in ``conf.d/``, listening on ``port``) under a minimal main configuration.
    Checked with ``nginx -t`` first."""
    home = readable(folder / name)
    (home / "server.conf").write_text(http_conf)
    temp = "\n".join(f"    {kind}_temp_path {readable(home / kind)};" for kind in ("client_body", "proxy", "fastcgi",
                                                                                  "uwsgi", "scgi"))
    (home / "nginx.conf").write_text(
        ("user nobody nogroup;\n" if os.geteuid() == 0 else "")
        + f"worker_processes auto;\npid {home}/nginx.pid;\nerror_log {home}/error.log warn;\n"
        "events { worker_connections 4096; }\n"
        "http {\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n"
        f"    access_log off;\n    sendfile on;\n{temp}\n    include {home}/server.conf;\n}}\n"
    )
    command = ["nginx", "-p", str(home), "-c", str(home / "nginx.conf")]
    checked = subprocess.run(command + ["-t"], capture_output=True, text=True)
    if checked.returncode != 0:
        raise ServerError(f"nginx -t refused the configuration of {name}:\n{checked.stderr.strip()}")
    return Server(name, command + ["-g", "daemon off;"], home / "stderr.log", port)
