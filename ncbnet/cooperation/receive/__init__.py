"""The cooperation app's envelope handlers and periodic jobs, one module per part."""

from . import cases, operations, requests, tasks  # noqa: F401 - each registers its handlers
