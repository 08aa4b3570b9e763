"""The evaluation stages; the ``tb eval`` click group is :data:`functions.cli.eval.group`.

* ``ingest.py``  core of eval_ingest: resolve due claims (no file I/O; feed injected)
* ``metrics.py`` core of eval_metrics: observations -> snapshot data (no file I/O)
* ``sources.py`` claim readers, one per artifact kind (tracer runs today)
* ``stages.py``  the scheduled stages: read, call the core, persist, render

Scores, resolution rules, persistence and plots live in :mod:`shared.evaluation`.
"""
