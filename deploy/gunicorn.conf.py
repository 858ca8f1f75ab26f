"""gunicorn settings for the pledge widget service: ``gunicorn -c deploy/gunicorn.conf.py 'widget:create_app()'``.

Give the address and the number of workers on the command line (``-b 127.0.0.1:8000 -w 5``); the command
line also wins over every value here. What this file adds to gunicorn's defaults:

- an access log on standard output, one line per request with the request's id (``X-Request-ID``, also in
  the service's own log lines) and its time in milliseconds; with ``PLEDGE_LOG_FORMAT=json`` each line is
  wrapped in the service's JSON (tokens and addresses cleaned as in every log of the service);
- Prometheus metrics across workers: with ``PROMETHEUS_MULTIPROC_DIR`` set in the environment (before
  gunicorn starts), each worker writes its counts to files in that folder and ``/metrics`` adds them up. The
  folder is emptied of the files of processes that are gone when gunicorn starts (a ``mail worker`` sharing
  it keeps its own), and a worker's live gauges are dropped when it exits.
"""
import os

from prometheus_client import multiprocess

accesslog = "-"
# gunicorn's default line, the time in milliseconds (M) and the request id the service answered with.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms %({x-request-id}o)s'

if os.environ.get("PLEDGE_LOG_FORMAT") == "json":
    # gunicorn's own lines too (the master's, before any worker loads the service) as the service's JSON.
    logconfig_dict = {
        "formatters": {"json": {"()": "widget.log_format.JSONFormatter"}},
        "handlers": {
            "stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"},
            "stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
        },
        "root": {"level": "WARNING", "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
        },
    }


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def on_starting(server):
    """Before the first worker: the metrics folder exists and holds no counts of processes that are gone
    (they would be added to this run's)."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        return
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        if not name.endswith(".db"):
            continue
        pid = name[:-len(".db")].rpartition("_")[2]  # counter_123.db, gauge_livesum_123.db
        if pid.isdigit() and _alive(int(pid)):
            continue  # a live process sharing the folder (a mail worker): its counts stay
        os.remove(os.path.join(folder, name))


def child_exit(server, worker):
    """A worker ended: its live gauges no longer count (its counters stay until the next start)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
