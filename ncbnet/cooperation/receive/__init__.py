"""The cooperation app's envelope handlers and periodic jobs, one module per part."""

from . import cases, operations, requests  # noqa: F401 - each registers its handlers
