"""Django's `flush`, made to pass the append-only guards of the audit table and of the Commission's
journal, and refused in production.

The test suite empties the database between transactional tests with `flush`; the member-country
registry is reference data loaded by a migration, so it is loaded again afterwards.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections, router

from ncbnet.audit import guards
from ncbnet.base.chain import AuditEntry

JOURNAL = "commission_journalentry"


class Command(FlushCommand):
    def handle(self, **options: Any) -> None:
        if settings.NCBNET_MODE == "production":
            raise CommandError("flush would erase the audit trail: refused in production mode")
        if not router.allow_migrate_model(options["database"], AuditEntry):
            # A database without the node's audit chain: the Commission's own, with its journal.
            connection = connections[options["database"]]
            guards.remove(connection, JOURNAL)
            try:
                super().handle(**options)
            finally:
                guards.install(connection, JOURNAL)
            return
        connection = connections[options["database"]]
        guards.remove(connection)
        try:
            super().handle(**options)
        finally:
            guards.install(connection)
        from ncbnet.core import registry
        from ncbnet.core.models import NCB, Country, Region, RegionalBureau

        registry.load(Region, RegionalBureau, Country, NCB)
