"""The system watching itself: schedules, run series, self-checks and the status screen.

* :mod:`shared.monitor.cron` reads the workflows' cron lines; :mod:`~shared.monitor.schedules`
  maps each scheduled stage to its crons;
* :mod:`shared.monitor.series` reads each stage's committed runs (time, degraded, trigger);
* :mod:`shared.monitor.checks` turns them into ``tb check``'s checks (missed runs,
  heartbeat, degraded ratio against the budget, hit-rate trend, autocommit, request counts);
* :mod:`shared.monitor.status` builds ``tb status``'s one screen;
* :mod:`shared.monitor.alerts` routes failing checks to channels by severity
  (``config/alerts.yaml``), Telegram through its client.

Everything is a function of the artifacts and an explicit ``now`` (``shared.clock.utc_now``
at the shell), so a check or a status at a given time is reproducible.
"""
