"""The sentiment stage's line scoring (:mod:`functions.sentiment.score`); the
``tb sentiment`` click group is :data:`functions.cli.sentiment.group`."""
