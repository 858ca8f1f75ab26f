"""The honest case of the widget page: many sites in sixteen languages at random, against bare Flask.

    .venv/bin/python bench/spread.py [--sites 1000,10000] [--duration 5] [--baseline /path/to/older/checkout]

For each number of sites: a fresh database (SQLite, or a PostgreSQL schema with ``--engine postgresql``) with
that many sites, the service under gunicorn with
2 x cores + 1 workers (as bench/run.py runs it), and ``wrk -t2 -c32`` walking 200,000 widget addresses
``/w/<key>?mode=form&hl=<lang>&origin=<the site's origin>``, each site and language drawn at random, after the
bare Flask app of bench/bare.py measured right before under the same gunicorn. With ``--baseline``, the same
walk is measured again on the code of another checkout (its ``widget`` package first on the path): the ratio of
the two is the change, measured in the same run on the same machine. Figures are printed, never asserted.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

import data
from load import Load
from servers import WORKERS, gunicorn

LANGUAGES = ("en", "fr", "es", "de", "it", "pt", "pl", "ru", "sw", "ar", "fa", "hi", "id", "ja", "tr", "zh")
SECRET = "bench-secret"
POSTGRES_URL = os.environ.get("PLEDGE_TEST_POSTGRESQL", "postgresql://postgres@127.0.0.1:5432/test")
TARGETS = {1000: 0.9, 10000: 0.5}  # x bare Flask (issue 26)


def walk(keys: list[str], path: Path, length: int = 200_000, seed: int = 26) -> None:
    """``length`` widget addresses, each of a site and a language drawn at random."""
    pick = random.Random(seed)
    lines = []
    for _ in range(length):
        n = pick.randrange(len(keys))
        lines.append(f"/w/{keys[n]}?mode=form&hl={pick.choice(LANGUAGES)}&origin=https%3A%2F%2Fsite{n}.example\n")
    path.write_text("".join(lines))


def service_env(db: data.Database, folder: Path, code: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLEDGE_")}
    env.update({"PLEDGE_DATABASE": db.url, "PLEDGE_SECRET_KEY": SECRET, "PLEDGE_RATELIMIT_ENABLED": "false",
                "PLEDGE_MAIL_IN_PROCESS": "false", "PLEDGE_PROXY_FIX": "1", "PLEDGE_DATA_DIR": str(folder / "data")})
    if code:
        env["PYTHONPATH"] = code
    return env


def measure(sites: int, args: argparse.Namespace, folder: Path, load: Load, bare_base: str) -> dict[str, float]:
    """The bare app's rate, then the walk's on this code and (``--baseline``) on the older one."""
    found: dict[str, float] = {}
    with ExitStack() as stack:
        db = stack.enter_context(data.fresh_database(args.engine, str(folder), POSTGRES_URL))
        db.create(sites)
        paths = folder / f"walk-{sites}.paths"
        walk(db.keys, paths)
        for name, code in (("this", None), ("baseline", args.baseline)):
            if name == "baseline" and not code:
                continue
            service = gunicorn(f"service-{sites}-{name}", "widget:create_app()", service_env(db, folder, code), folder)
            stack.callback(service.stop)
            service.wait_until_up(f"/api/v1/sites/{db.keys[0]}/count")
            load.run(service.base + "/", script="paths", args=Load.paths_args(paths), seconds=1)  # imports, templates
            found[f"bare {name}"] = load.run(bare_base + "/").rate
            figures = load.run(service.base + "/", script="paths", args=Load.paths_args(paths))
            found[name] = figures.rate
            found[f"{name} p99"] = figures.p99_ms
            found[f"{name} errors"] = figures.errors
            found[f"{name} rss"] = max(service.worker_rss() or [0]) / 1024
            service.stop()
            print(f"  {sites:,} sites x 16 languages, {name}: {figures.rate:,.0f} req/s "
                  f"({figures.rate / found[f'bare {name}']:.2f} x bare Flask at {found[f'bare {name}']:,.0f}), "
                  f"p99 {figures.p99_ms:.0f} ms, errors {figures.errors}, worker RSS up to {found[f'{name} rss']:.0f} MB; "
                  f"load average {os.getloadavg()[0]:.1f}", flush=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", default="1000,10000")
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--engine", default="sqlite", choices=("sqlite", "postgresql"))
    parser.add_argument("--baseline", help="a checkout whose widget package is measured the same way")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-spread-") as tmp, ExitStack() as stack:
        folder = Path(tmp)
        load = Load(folder, args.duration)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PLEDGE_")}
        bare = gunicorn("bare", "bare:app", env, folder, cwd=str(Path(__file__).parent))
        stack.callback(bare.stop)
        bare.wait_until_up("/")
        print(f"{args.engine}, gunicorn -w {WORKERS}, wrk -t2 -c32 -d{args.duration}s, {os.cpu_count()} cores", flush=True)
        for sites in (int(n) for n in args.sites.split(",")):
            found = measure(sites, args, folder, load, bare.base)
            ratio = found["this"] / found["bare this"]
            target = TARGETS.get(sites)
            line = f"{sites:,} sites: {ratio:.2f} x bare Flask"
            if target:
                line += f" (target >= {target}: {'met' if ratio >= target else 'NOT met'})"
            if "baseline" in found:
                line += (f"; baseline {found['baseline'] / found['bare baseline']:.2f} x bare Flask; "
                         f"this / baseline = {found['this'] / found['baseline']:.1f} x")
            print(line, flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
