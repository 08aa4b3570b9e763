"""The paper-trading stage: ``tb paper replay | run | rearm | status`` and ``tb drill``."""
