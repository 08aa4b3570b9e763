"""The store owns persistence: where artifacts live, what they are called, how they are read
and written. Stages hand it contracts and bytes; nothing else touches artifact files.

* :mod:`shared.store.layout`   — every artifact path (``runs/``, ``universe_runs/``,
  ``eval_runs/``), from the as-of time and run id.
* :mod:`shared.store.identity` — ``run_id(...)`` (content hash of a run's inputs) and
  ``code_version()``.
* :mod:`shared.store.readers`  — find, parse and validate committed runs; scans skip a bad
  file with a warning, lookups of one named file raise ``ArtifactError``.
* :mod:`shared.store.write`    — validate a batch (schema + model), then write it atomically.
* :mod:`shared.store.atomic`   — the one atomic writer (temp file, fsync, rename, fsync dir).
* :mod:`shared.store.csvfile`  — CSV tables: append (idempotent by key), upsert, replace,
  each under an ``fcntl`` lock around its read-modify-write.
* :mod:`shared.store.tables`   — the keyed CSV tables (key, kind) and how two versions of
  one merge (``autocommit.py`` uses it on a rebase conflict; ``tb validate`` on duplicates).
* :mod:`shared.store.quarantine` — a corrupt committed file (or table row) is recorded in the
  stage's ``quarantine.csv`` and passed over; the stage goes on, degraded.
* :mod:`shared.store.hygiene`  — crash leftovers: temp files of killed writes (removed by the
  next run of the stage) and tracer siblings without their run file.
* :mod:`shared.store.validate` — ``tb validate``: check every artifact under a root.
* :mod:`shared.store.index`    — the derived SQLite index of tracer runs.

The store may import :mod:`shared.contracts` (and the schema exporter built from them), never
stage code (``functions/``) or decision code (``shared.pipeline``, ``shared.signal``,
``shared.bots``).
"""
