"""Every schema the API answers with or reads has a name of its own: the OpenAPI document keys its
components by the class's name, so two classes of one name (in two apps) would document one of them
with the other's fields, and clients built from the document would break."""

import importlib
import pkgutil
from collections import defaultdict

from ninja import Schema

import ncbnet


def test_no_two_api_schemas_share_a_name():
    for module in pkgutil.walk_packages(ncbnet.__path__, "ncbnet."):
        if ".api" in module.name and ".tests" not in module.name:
            importlib.import_module(module.name)
    by_name = defaultdict(set)
    stack = list(Schema.__subclasses__())
    while stack:
        cls = stack.pop()
        stack += cls.__subclasses__()
        if cls.__module__.startswith("ncbnet."):
            by_name[cls.__name__].add(cls.__module__)
    shared = {name: sorted(modules) for name, modules in by_name.items() if len(modules) > 1}
    assert not shared
