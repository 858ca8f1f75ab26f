"""Two nginx front templates against each other and against nginx serving the widget page as a static file.

    .venv/bin/python bench/front_ab.py A.template B.template      (ROUNDS=3 SECS=3 by default)

One service (gunicorn, SQLite, 20 sites), the static reference, and a front rendered from each template (as
bench/run.py renders deploy/nginx/pledge.conf.template); each round measures the static file, then every route
through A and B, their order alternated, and prints each route's ratios to that round's static figure: a
change to the template is kept only if B beats A pair by pair on a machine whose load moves.
"""
import gzip, os, subprocess, sys, tempfile
from contextlib import ExitStack
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
import data
from load import Load
from servers import gunicorn, nginx, readable, free_port
import run as benchrun

def front(name, template, folder, service, stack):
    port = free_port()
    values = {"PLEDGE_UPSTREAM": f"127.0.0.1:{service.port}", "PLEDGE_LISTEN": f"127.0.0.1:{port}",
              "PLEDGE_CACHE_DIR": str(readable(folder / f"cache-{name}")), "PLEDGE_SERVER_NAME": "127.0.0.1"}
    rendered = subprocess.run(["envsubst", " ".join(f"${{{n}}}" for n in values)], input=Path(template).read_text(),
                              capture_output=True, text=True, env={**os.environ, **values}, check=True).stdout
    server = nginx(name, folder, rendered, port)
    stack.callback(server.stop)
    return server

def main():
    templates = sys.argv[1:3]
    rounds = int(os.environ.get("ROUNDS", "3")); secs = int(os.environ.get("SECS", "3"))
    with tempfile.TemporaryDirectory(prefix="fast2-front-") as tmp, ExitStack() as stack:
        folder = Path(tmp); Path(tmp).chmod(0o755)
        db = stack.enter_context(data.fresh_database("sqlite", str(folder), ""))
        db.create(20)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PLEDGE_")}
        env.update({"PLEDGE_DATABASE": db.url, "PLEDGE_SECRET_KEY": "bench-secret", "PLEDGE_RATELIMIT_ENABLED": "false",
                    "PLEDGE_MAIL_IN_PROCESS": "false", "PLEDGE_PROXY_FIX": "1", "PLEDGE_DATA_DIR": str(folder / "data")})
        service = gunicorn("service", "widget:create_app()", env, folder)
        stack.callback(service.stop)
        service.wait_until_up(f"/api/v1/sites/{db.keys[1]}/count")
        docroot = readable(folder / "static")
        page = benchrun.sample_widget_page(folder)
        (docroot / "widget.html").write_bytes(page); (docroot / "widget.html.gz").write_bytes(gzip.compress(page, 9))
        port = free_port()
        static = nginx("static", folder, f"server {{\n    listen 127.0.0.1:{port};\n    root {docroot};\n    gzip_static on;\n    location / {{ }}\n}}\n", port)
        stack.callback(static.stop); static.wait_until_up("/widget.html")
        fronts = {}
        for label, t in zip("AB", templates):
            f = front(f"front{label}", t, folder, service, stack)
            try:
                f.wait_until_up("/embed.js", timeout=5)
            except Exception:
                print((folder / f"front{label}" / "error.log").read_text()[-2000:]); raise
            fronts[label] = f
        load = Load(folder, secs)
        paths = {m: benchrun.widget_path(db, 1, m) for m in ("form", "button", "counter")}
        paths["count"] = f"/api/v1/sites/{db.keys[1]}/count"
        for f in fronts.values():
            for p in paths.values():
                load.run(f.base + p, seconds=1)
        res = {}
        for r in range(rounds):
            st = load.run(static.base + "/widget.html").rate
            for name, p in paths.items():
                for label, f in (fronts.items() if r % 2 == 0 else reversed(list(fronts.items()))):
                    res.setdefault((label, name), []).append(load.run(f.base + p).rate / st)
            print(f"round {r}: static {st:,.0f} load {os.getloadavg()[0]:.1f}", flush=True)
        for name in paths:
            a = res[("A", name)]; b = res[("B", name)]
            print(f"{name:8} A {sum(a)/len(a):.2f} ({' '.join(f'{x:.2f}' for x in a)})  B {sum(b)/len(b):.2f} ({' '.join(f'{x:.2f}' for x in b)})")


if __name__ == "__main__":
    main()
