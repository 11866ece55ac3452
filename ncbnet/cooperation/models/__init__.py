"""The cooperation app's tables, one module per part: requests between bureaus, national tasks
and agencies' requests for help, cases, groups and operations."""

from .cases import *  # noqa: F403
from .operations import *  # noqa: F403
from .requests import *  # noqa: F403
from .tasks import *  # noqa: F403
