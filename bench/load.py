"""Load from wrk: one run of ``wrk -t2 -c32`` on one route, and its figures.

Each run's Lua script is one of ``bench/lua/`` (or none), with ``statuses.lua`` when the answers must be
counted by status, and ``common.lua`` last: it prints the figures as one line of JSON.
"""
from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

LUA = Path(__file__).parent / "lua"
THREADS = 2
CONNECTIONS = 32
#: What a browser sends with every request of the widget: it takes gzip, and speaks a language.
BROWSER_HEADERS = {"Accept-Encoding": "gzip", "Accept-Language": "en"}


@dataclass
class Figures:
    """What wrk measured on one route."""

    requests: int
    seconds: float
    bytes: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # answers outside 2xx and 3xx, and socket errors (connect, read, write, timeout)
    statuses: dict[int, int] = field(default_factory=dict)  # when counted (scripts with statuses.lua)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def bytes_per_answer(self) -> int:
        return self.bytes // self.requests if self.requests else 0


class Load:
    """Runs wrk with the same settings every time; scripts are composed in ``folder``."""

    def __init__(self, folder: Path, seconds: int):
        self.folder = folder
        self.seconds = seconds
        self._scripts = 0

    def _script(self, name: str | None, count_statuses: bool) -> Path:
        parts = ([name] if name else []) + (["statuses"] if count_statuses else []) + ["common"]
        self._scripts += 1
        path = self.folder / f"wrk-{self._scripts}-{'-'.join(parts)}.lua"
        path.write_text("\n".join((LUA / f"{part}.lua").read_text() for part in parts))
        return path

    def run(self, url: str, *, script: str | None = None, args: list[str] = (), headers: dict[str, str] | None = None,
            count_statuses: bool = False, seconds: int | None = None) -> Figures:
        """wrk on ``url`` for ``seconds`` (the run's duration by default) with the browser's headers."""
        command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds or self.seconds}s", "--timeout", "10s",
                   "-s", str(self._script(script, count_statuses))]
        for name, value in {**BROWSER_HEADERS, **(headers or {})}.items():
            command += ["-H", f"{name}: {value}"]
        command += [url, "--", *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=(seconds or self.seconds) + 60)
        line = next((line for line in done.stdout.splitlines() if line.startswith("BENCH ")), None)
        if done.returncode != 0 or line is None:
            raise RuntimeError(f"wrk failed on {url} (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
        found = json.loads(line[len("BENCH "):])
        return Figures(
            requests=found["requests"], seconds=found["duration_us"] / 1e6, bytes=found["bytes"],
            p50_ms=found["p50_us"] / 1000, p99_ms=found["p99_us"] / 1000, max_ms=found["max_us"] / 1000,
            errors=found["non_2xx_3xx"] + found["socket_errors"] + found["timeouts"],
            statuses={int(code): n for code, n in found["statuses"].items()},
        )

    @staticmethod
    def paths_args(file: Path, method: str = "GET") -> list[str]:
        """The arguments of ``paths.lua``: walk ``file``'s paths with ``method``, a share per thread."""
        return [str(file), method, str(THREADS)]
