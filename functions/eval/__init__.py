"""The evaluation stages: ingest (resolve forecasts), daily and weekly snapshots, and the
general ``tb eval metrics`` evaluator. The click group is :data:`functions.eval.cli.group`."""
