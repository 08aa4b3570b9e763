#!/usr/bin/env bash
# snapshot.sh OUT: run the byte-identity battery (tb run, tb run --feed dataset, tb universe run
# unsharded and as 3 shards + merge, tb study on synthetic and dataset, tb simulate) into OUT.
# Compare two snapshots with compare.sh; a refactor that changes no behaviour gives IDENTICAL.
# Needs the repo's .venv and the public data (TB_DATA_DIR, default ../shared/data).
set -u
out=$1; rm -rf "$out"; mkdir -p "$out"
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
tb=.venv/bin/tb
step() { local name=$1; shift; "$@" > "$out/$name.stdout" 2>&1; echo "$name rc=$?"; }
step run $tb run --seed 7 --as-of 2026-11-20T12:00:00Z --artifacts-dir "$out/run" --no-notify
step run_eth $tb run --seed 7 --as-of 2026-11-20T12:00:00Z --artifacts-dir "$out/run_eth" \
  --symbol ETH-USD --no-notify
step run_dataset $tb run --seed 3 --as-of 2022-03-01T12:00:00Z --feed dataset \
  --artifacts-dir "$out/run_dataset" --no-notify
step uni $tb universe run --seed 7 --as-of 2026-03-03T18:00:00Z --artifacts-dir "$out/uni" \
  --no-notify
for i in 1 2 3; do
  step "unish$i" $tb universe run --seed 7 --as-of 2026-03-03T18:00:00Z \
    --artifacts-dir "$out/unish" --shard "$i/3" --no-notify
done
step unish_merge $tb universe merge --artifacts-dir "$out/unish"
step study $tb study --feed synthetic --seed 7 --start 2025-01-01T00:00:00Z \
  --end 2025-02-01T00:00:00Z
step study_dataset $tb study --feed dataset --seed 7 --start 2022-01-01T00:00:00Z \
  --end 2022-01-20T00:00:00Z
step sim $tb simulate --seed 7 --start 2026-11-02T00:00:00Z --days 3 --artifacts-dir "$out/sim"
