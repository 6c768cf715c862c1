"""gunicorn settings for Kvalitetsflöde: `gunicorn 'app:create_app()'` reads this file from the working
directory. WEB_CONCURRENCY and KF_GUNICORN_THREADS override the two numbers (e.g. on a bigger server).

Why 2 workers × 4 threads (on a 2-core machine; bench/http_load.py measures it, README):
- a completion is mostly Python (SpiffWorkflow, the ORM) and Python runs one thread at a time per
  process: one process per core lets the work use both cores;
- the rest is waiting for PostgreSQL (round trips, the commit's WAL flush): threads let a worker take
  the next request meanwhile, and keep the client's connection open between requests;
- more processes than cores only add switching and memory (each worker holds the parsed diagrams),
  and PostgreSQL on the same machine needs CPU as well.
"""
import os

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("KF_GUNICORN_THREADS", "4"))
worker_class = "gthread"
keepalive = 5  # seconds: an API client sending request after request keeps its connection
