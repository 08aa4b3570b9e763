"""The sentiment stage's command line: ``tb sentiment score``. The click group is
:data:`functions.sentiment.cli.group`."""
