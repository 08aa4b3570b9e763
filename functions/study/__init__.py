"""The study stage: the pipeline over every bar of a period, as a live run would have seen it."""
