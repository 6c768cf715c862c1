"""gunicorn settings for Kvalitetsflöde: `gunicorn 'app:create_app()'` reads this file from the working
directory. WEB_CONCURRENCY and KF_GUNICORN_THREADS override the two numbers (e.g. on a bigger server).

Why 3 workers × 2 threads (on a 2-core machine; bench/http_load.py measures it, README):
- a request is mostly Python (SpiffWorkflow, the ORM) and Python runs one thread at a time per
  process: threads of one process that all want the CPU queue for it, so a process per core at least;
- the rest is waiting for PostgreSQL (round trips, the commit's WAL flush): a third process and a second
  thread each take the next request meanwhile, and keep the client's connection open between requests;
- side by side with 2 × 4 (alternating runs, 1/4/8 clients), 3 × 2 let creations scale better with
  clients (4 clients against 1: 1.70–1.90× against 1.26–1.78×) at the same completion rates; more
  processes than that only add switching and memory (each worker holds the parsed diagrams), and
  PostgreSQL on the same machine needs CPU as well: again side by side, 4 × 1 gave creations 1.71–1.87×
  and 4 × 2 1.55–1.60× against 1.79–1.95× for 3 × 2, and no better completion rates.
"""
import os

workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("KF_GUNICORN_THREADS", "2"))
worker_class = "gthread"
keepalive = 5  # seconds: an API client sending request after request keeps its connection


def post_worker_init(worker):
    """Each worker parses the diagrams new starts use and connects to the database before it takes a
    request, so that no client waits for that (a new worker's first report took 85-95 ms, 45 with
    this; the rest take about 12)."""
    from app.services.processes import prepare_worker

    with worker.wsgi.app_context():
        prepare_worker()
