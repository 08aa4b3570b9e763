"""A short burn-in: faulty loopback services, a run killed with SIGKILL, a skipped cycle;
nothing crashes, every artifact validates, no row is lost or duplicated, and tb status finds
exactly the misses that were planted."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.burnin.run import burnin


@pytest.mark.slow
def test_short_burnin_is_clean_and_finds_the_planted_misses(tmp_path: Path) -> None:
    report = burnin(runs=8, fault_rate=0.4, kill_rate=0.25, skip_rate=0.15, seed=3,
                    root=tmp_path)
    assert report["faults_injected"] > 0
    assert (report["crashes"], report["invalid_artifacts"], report["lost_rows"],
            report["duplicated_rows"]) == (0, 0, 0, 0), report["crash_notes"]
    assert report["missed_runs_detected"] == report["missed_runs_planted"]
    assert report["tracer_runs"] + report["missed_runs_planted"] == report["cycles"]
    assert 0 <= report["degraded_ratio"] <= 1
