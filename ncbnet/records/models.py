"""The global databases at the hub: every record has exactly one owner NCB and the owner's
restrictions on who may see it."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Exists, F, Func, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from ncbnet.base import iccs


class Database(models.TextChoices):
    PERSONS = "persons", _("Persons")
    DOCUMENTS = "documents", _("Travel documents")
    VEHICLES = "vehicles", _("Vehicles")
    ARTWORKS = "artworks", _("Works of art")
    FIREARMS = "firearms", _("Firearms")


class Access(models.TextChoices):
    ALL = "all", _("Every member country")
    ALLOW = "allow", _("Only the countries listed")
    DENY = "deny", _("Every country but those listed")


class RecordQuerySet(models.QuerySet["Record"]):
    def visible_to(self, country: str | None, *, gs: bool = False) -> RecordQuerySet:
        """The records a country may see; the same rule as `policies.may_see`, in SQL."""
        if gs:
            return self
        if not country:
            return self.none()
        listed = RecordCountry.objects.filter(record=OuterRef("pk"), country=country)
        return self.filter(
            Q(owner=country)
            | Q(access=Access.ALL)
            | (Q(access=Access.ALLOW) & Exists(listed))
            | (Q(access=Access.DENY) & ~Exists(listed))
        )

    def live(self) -> RecordQuerySet:
        """Neither withdrawn nor blocked by the Commission for the Control of Files."""
        return self.filter(deleted_at__isnull=True, blocked_at__isnull=True)


class Folded(Func):
    """A key with O read as 0 and I as 1, the letters and digits mistyped and misread for each
    other in document and serial numbers: one indexed lookup finds every reading. The letters
    are written into the SQL, not passed as parameters, so that a query's expression is the
    index's own (SQLite uses an index on an expression only for the very same expression)."""

    template = "REPLACE(REPLACE(%(expressions)s, 'O', '0'), 'I', '1')"
    output_field = models.CharField()


def folded(key: str) -> str:
    """What `Folded` makes of a key, in Python."""
    return key.replace("O", "0").replace("I", "1")


class Record(models.Model):
    id = models.UUIDField(primary_key=True)
    database = models.CharField(max_length=10, choices=Database.choices)
    owner = models.CharField(max_length=2)  # the owner NCB's country
    label = models.CharField(max_length=300)  # what lists show: a name, a document number, a VIN
    key = models.CharField(max_length=100, db_index=True)  # normalized identifier for exact lookups
    data = models.JSONField()
    # The crime category: the level-2 ICCS code of `data["iccs"]` ("" when none), kept beside it
    # as `label` and `key` are, for the figures to count by. A database default as well, for the
    # bulk writes that list their columns (`bulk`).
    iccs = models.CharField(max_length=4, blank=True, default="", db_default="")
    version = models.PositiveIntegerField(default=1)
    access = models.CharField(max_length=5, choices=Access.choices, default=Access.ALL)
    handling = models.CharField(max_length=2, default="H0")
    handling_note = models.CharField(max_length=500, blank=True)
    notify_on_view = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    retain_until = models.DateTimeField()  # the Rules' 5 years, or the owner's shorter national retention
    deleted_at = models.DateTimeField(null=True, blank=True)  # withdrawn: kept for the audit until purged
    # Blocked by the Commission for the Control of Files while a person's request about it is
    # pending: out of every replica, search and screening like a withdrawn record, until unblocked.
    blocked_at = models.DateTimeField(null=True, blank=True)
    # When the owner was told its record reaches the end of its retention within six months (once;
    # an extension clears it).
    retention_alerted_at = models.DateTimeField(null=True, blank=True)

    objects = RecordQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["database", "label"]
        indexes: ClassVar = [
            models.Index(fields=["database", "key"], name="record_lookup"),
            models.Index(F("database"), Folded("key"), name="record_folded_lookup"),
            models.Index(fields=["retain_until"], name="record_retention"),  # the hourly job
            # the figures' rebuild: the records withdrawn on a day (few of millions)
            models.Index(
                fields=["deleted_at"], name="record_withdrawn_at", condition=Q(deleted_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.database}/{self.label} ({self.owner})"

    @property
    def status(self) -> str:
        if self.deleted_at is not None:
            return "withdrawn"
        return "blocked" if self.blocked_at is not None else "live"

    @property
    def countries(self) -> list[str]:
        return sorted(self.listed.values_list("country", flat=True))


class RecordCountry(models.Model):
    """A country the owner listed: allowed (access=allow) or denied (access=deny)."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="listed")
    country = models.CharField(max_length=2)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["record", "country"], name="record_country_once")
        ]
        indexes: ClassVar = [models.Index(fields=["country", "record"], name="record_country_lookup")]

    def __str__(self) -> str:
        return f"{self.record_id} {self.country}"


class RecordVersion(models.Model):
    """Every state a record has had: what, who, where from, when and why."""

    record = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    data = models.JSONField()
    restriction = models.JSONField()
    changed_by = models.CharField(max_length=150)
    changed_by_country = models.CharField(max_length=8)  # a country code, or "GS"
    reason = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering: ClassVar = ["record", "version"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["record", "version"], name="one_row_per_version")
        ]
        # The figures' rebuild recounts a day's contributions from the first versions made in it
        # (`tallies.recount`): without this, every day rebuilt read the whole table.
        indexes: ClassVar = [models.Index(fields=["at"], name="record_version_at")]

    def __str__(self) -> str:
        return f"{self.record_id} v{self.version}"


class ReplicaRecord(models.Model):
    """On an NCB node: a record the hub sent because this country may see it. The owner's list of
    allowed or denied countries never leaves the hub."""

    id = models.UUIDField(primary_key=True)
    database = models.CharField(max_length=10, choices=Database.choices)
    owner = models.CharField(max_length=2)
    label = models.CharField(max_length=300)
    key = models.CharField(max_length=100, db_index=True)
    data = models.JSONField()
    version = models.PositiveIntegerField()
    handling = models.CharField(max_length=2)
    handling_note = models.CharField(max_length=500, blank=True)
    notify_on_view = models.BooleanField(default=False)
    updated_at = models.DateTimeField()
    retain_until = models.DateTimeField()
    received_at = models.DateTimeField()

    class Meta:
        ordering: ClassVar = ["database", "label"]
        indexes: ClassVar = [
            models.Index(fields=["database", "key"], name="replica_lookup"),
            models.Index(F("database"), Folded("key"), name="replica_folded_lookup"),
        ]

    def __str__(self) -> str:
        return f"replica {self.database}/{self.label} ({self.owner})"

    @property
    def status(self) -> str:
        return "live"  # a withdrawn record leaves every replica

    @property
    def iccs(self) -> str:
        """The crime category (as `Record.iccs`): the replica keeps it in the data it received,
        as every node does, whatever its version (a column of its own would change the rows a
        snapshot carries, which older nodes read by position)."""
        return iccs.of(self.data)


class ReplicaCheck(models.Model):
    """On an NCB node: one `ncbnet replica verify`, and what the hub said the replica should hold
    (in pages, `ReplicaCheckPage`); answered once every page has come and their digest matches."""

    requested_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    parts = models.PositiveIntegerField(null=True, blank=True)  # pages, as the first one said
    digest = models.CharField(max_length=64, blank=True)  # of the whole expected set
    # A resync the hub started (`replication.start_resync`) rather than a check this node asked for:
    # its id, when the hub computed the set, and what the node did with it.
    resync = models.UUIDField(null=True, blank=True, unique=True)
    as_of = models.DateTimeField(null=True, blank=True)
    dropped = models.PositiveIntegerField(null=True, blank=True)
    fetched = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-requested_at"]

    def __str__(self) -> str:
        return f"replica check {self.requested_at}"


class ReplicaCheckPage(models.Model):
    """One page of the hub's answer to a replica check: {record id: version}."""

    replica_check = models.ForeignKey(ReplicaCheck, on_delete=models.CASCADE, related_name="pages")
    part = models.PositiveIntegerField()
    expected = models.JSONField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["replica_check", "part"], name="one_page_per_part")
        ]

    def __str__(self) -> str:
        return f"page {self.part} of {self.replica_check_id}"


class ReplicaFeed(models.Model):
    """On an NCB node (one row): the last tick of the hub's feed this node saw."""

    last_tick = models.PositiveBigIntegerField(null=True, blank=True)
    last_tick_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"replica feed at tick {self.last_tick}"


class NodeReplica(models.Model):
    """At the hub: one node's replica as the hub sees it: its latest resync, and whether the node
    asked for another while the last was too recent to start again at once."""

    node = models.CharField(max_length=2, unique=True)
    resync = models.UUIDField(null=True, blank=True)
    resync_at = models.DateTimeField(null=True, blank=True)
    resync_reason = models.CharField(max_length=300, blank=True)
    resync_expected = models.PositiveIntegerField(default=0)
    resync_fetched = models.PositiveIntegerField(default=0)
    wanted = models.CharField(max_length=300, blank=True)  # a resync asked for and not yet started
    # The replica checks the hub answered this node in the hour since `checks_since`.
    checks_since = models.DateTimeField(null=True, blank=True)
    checks = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"replica of {self.node}"


class FeedTick(models.Model):
    """At the hub (one row): how many ticks the feed has sent; it only goes up, by one."""

    n = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"tick {self.n}"


class IncomingPart(models.Model):
    """A part of a body too big for one envelope (`records.parts`), kept until the last arrives."""

    sender = models.CharField(max_length=8)
    transfer = models.UUIDField()
    of = models.CharField(max_length=32)  # the envelope type the whole stands for
    index = models.PositiveIntegerField()
    parts = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    data = models.BinaryField()
    received_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["sender", "transfer", "index"], name="one_part_per_index")
        ]

    def __str__(self) -> str:
        return f"part {self.index}/{self.parts} of {self.transfer} from {self.sender}"


class Contribution(models.Model):
    """On an NCB node: a contribution sent to the hub, and what became of it."""

    id = models.UUIDField(primary_key=True)
    database = models.CharField(max_length=10)
    sent_by = models.CharField(max_length=150)
    sent_at = models.DateTimeField()
    status = models.CharField(max_length=10, default="sent")  # sent, accepted, refused
    record_id = models.UUIDField(null=True, blank=True)
    errors = models.JSONField(default=dict)
    # What the node's own figures count an accepted contribution by (`tallies`): its category and
    # access as sent, and when the hub's answer arrived
    iccs = models.CharField(max_length=4, blank=True, default="")
    access = models.CharField(max_length=5, default="all")
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-sent_at"]

    def __str__(self) -> str:
        return f"contribution {self.id} ({self.status})"


class RecordChange(models.Model):
    """On an NCB node: an edit, a new restriction, a withdrawal or an extension of one of its own
    records, sent to the hub, and what became of it. It keeps no copy of the record's data."""

    class Action(models.TextChoices):
        EDIT = "edit", _("Edit")
        RESTRICT = "restrict", _("New restriction")
        WITHDRAW = "withdraw", _("Withdrawal")
        EXTEND = "extend", _("Extension of the retention")

    id = models.UUIDField(primary_key=True)
    record_id = models.UUIDField(db_index=True)
    action = models.CharField(max_length=8, choices=Action.choices)
    sent_by = models.CharField(max_length=150)
    sent_at = models.DateTimeField()
    status = models.CharField(max_length=10, default="sent")  # sent, accepted, refused
    version = models.PositiveIntegerField(null=True, blank=True)  # the record's, once accepted
    errors = models.JSONField(default=dict)

    class Meta:
        ordering: ClassVar = ["-sent_at"]

    def __str__(self) -> str:
        return f"{self.action} of {self.record_id} ({self.status})"


class OwnerAlert(models.Model):
    """On the owner's node: another bureau (or the GS) viewed a record the owner asked to be told
    about ("viewed"), screening hit one of its records ("hit"), the hub escalated a hit the
    owner has not answered ("overdue"), or the record reaches the end of its retention within six
    months ("retention": extend it with a reason, or let it be purged)."""

    record_id = models.UUIDField()
    label = models.CharField(max_length=300)
    event = models.CharField(max_length=10, default="viewed")
    by = models.CharField(max_length=8)  # the viewing country, or "GS"
    at = models.DateTimeField()

    class Meta:
        ordering: ClassVar = ["-at"]

    def __str__(self) -> str:
        return f"{self.label} {self.event} by {self.by}"


class PendingContribution(models.Model):
    """On an NCB node: a record a national agency's user submitted, waiting for one of the bureau's
    officers to approve it (then it goes to the hub as the bureau's contribution: the NCB owns it
    and answers for it) or to return it with a reason."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved and sent to the hub")
        RETURNED = "returned", _("Returned")

    id = models.UUIDField(primary_key=True)
    database = models.CharField(max_length=10, choices=Database.choices)
    label = models.CharField(max_length=300)
    data = models.JSONField()
    restriction = models.JSONField(null=True, blank=True)
    submitted_by = models.CharField(max_length=150, db_index=True)
    agency = models.ForeignKey("core.Agency", on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    # Once approved: the contribution sent to the hub, whose answer it carries.
    contribution = models.OneToOneField(
        Contribution, null=True, blank=True, on_delete=models.PROTECT, related_name="pending"
    )

    class Meta:
        ordering: ClassVar = ["-submitted_at"]

    def __str__(self) -> str:
        return f"pending contribution {self.id} ({self.state})"


class FeedJob(models.Model):
    """At the hub: one bulk write (a seed, a bureau's bulk contribution) fed to the nodes that were
    on the network when it was written, in chunks, in the order of the records' ids (`records.feed`).
    The records it covers are those whose id lies between `first` and `last`; each node's progress
    is a `FeedJobNode`, so a restart resumes from the last chunk sent."""

    id = models.UUIDField(primary_key=True)
    source = models.CharField(max_length=100, unique=True)  # "seed:<id>", "import:<country>:<id>"
    what = models.CharField(max_length=300)
    started_at = models.DateTimeField()
    written = models.PositiveIntegerField(default=0)  # records written so far
    first = models.UUIDField()
    last = models.UUIDField()
    finished_at = models.DateTimeField(null=True, blank=True)  # every node caught up

    class Meta:
        ordering: ClassVar = ["-started_at"]

    def __str__(self) -> str:
        return f"feed {self.what}"


class FeedJobNode(models.Model):
    """One node's progress in a feed job: how many of the job's records it may see, how many were
    sent, and the id of the last one sent."""

    job = models.ForeignKey(FeedJob, on_delete=models.CASCADE, related_name="nodes")
    node = models.CharField(max_length=2)
    total = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    cursor = models.UUIDField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    left = models.BooleanField(default=False)  # the node left the network (its key revoked) meanwhile

    class Meta:
        ordering: ClassVar = ["job", "node"]
        constraints: ClassVar = [models.UniqueConstraint(fields=["job", "node"], name="one_feed_per_node")]
        indexes: ClassVar = [models.Index(fields=["finished_at"], name="feed_unfinished")]

    def __str__(self) -> str:
        return f"{self.job_id} to {self.node}: {self.sent}/{self.total}"


class ImportBatch(models.Model):
    """At the hub: one batch of a bureau's bulk contribution, and the answer given per row; a batch
    sent again gets the same answer, and creates nothing."""

    sender = models.CharField(max_length=2)
    bulk_import = models.UUIDField()
    batch = models.PositiveIntegerField()
    received_at = models.DateTimeField()
    accepted = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)
    outcome = models.JSONField()  # the rows' outcomes, as sent back

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["sender", "bulk_import", "batch"], name="one_answer_per_batch")
        ]

    def __str__(self) -> str:
        return f"batch {self.batch} of {self.bulk_import} from {self.sender}"


class BulkImport(models.Model):
    """On an NCB node: a bulk contribution (a CSV or JSON-lines file of records), its rows sent to
    the hub in batches from the network worker, and what the hub made of each."""

    class Status(models.TextChoices):
        READING = "reading", _("reading the file")
        SENDING = "sending", _("sending to the hub")
        DONE = "done", _("done")
        STOPPED = "stopped", _("stopped while reading the file: nothing was sent, send the file again")

    id = models.UUIDField(primary_key=True)
    database = models.CharField(max_length=10, choices=Database.choices)
    filename = models.CharField(max_length=200)
    sent_by = models.CharField(max_length=150)
    restriction = models.JSONField(null=True, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.READING)
    rows = models.PositiveIntegerField(default=0)  # read from the file
    sent = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)  # by the hub, or unreadable here
    batches = models.PositiveIntegerField(default=0)  # sent so far
    answered = models.PositiveIntegerField(default=0)  # batches the hub answered
    resends = models.PositiveIntegerField(default=0)  # in a row without an answer (each waits longer)
    moved_at = models.DateTimeField(null=True, blank=True)  # a batch last sent or answered

    class Meta:
        ordering: ClassVar = ["-started_at"]

    def __str__(self) -> str:
        return f"import {self.filename} ({self.status})"


class ImportRow(models.Model):
    """One row of a bulk contribution: its data, and its outcome."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        SENT = "sent", _("sent")
        ACCEPTED = "accepted", _("accepted")
        REFUSED = "refused", _("refused")

    bulk_import = models.ForeignKey(BulkImport, on_delete=models.CASCADE, related_name="lines")
    row = models.PositiveIntegerField()  # its number in the file, from 1
    data = models.JSONField(null=True, blank=True)  # none when the row could not be read
    batch = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    record_id = models.UUIDField(null=True, blank=True)
    errors = models.JSONField(default=dict)
    # kept when its data is dropped, for the node's own figures (`tallies`): its category, and
    # when the hub's answer arrived
    iccs = models.CharField(max_length=4, blank=True, default="")
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["bulk_import", "row"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["bulk_import", "row"], name="one_import_row")
        ]
        indexes: ClassVar = [models.Index(fields=["bulk_import", "status", "row"], name="import_row_status")]

    def __str__(self) -> str:
        return f"row {self.row} of {self.bulk_import_id} ({self.status})"


class PendingChange(models.Model):
    """At the hub: a change of a record that nodes are still to receive. Written in the change's
    transaction (`replication.fanout`), naming the nodes that could see the record before the
    change (those that may see it when it is sent are judged then); the network worker's
    `records.changes` job sends every node its pending changes in envelopes of many records, and
    deletes the rows in the transaction that queues those envelopes, so a change is never lost,
    nor queued twice."""

    record_id = models.UUIDField()  # no foreign key: a purged record's removal still goes out
    nodes = models.JSONField()  # the nodes that could see the record before the change
    at = models.DateTimeField()

    class Meta:
        ordering: ClassVar = ["id"]
        indexes: ClassVar = [models.Index(fields=["record_id"], name="pending_change_record")]

    def __str__(self) -> str:
        return f"change of {self.record_id}"


class SnapshotStream(models.Model):
    """At the hub: the snapshot a node is receiving (one row a node, its latest). The hub sends
    it in numbered chunks in the order of the records' ids (`cursor`: the last id sent), never
    more than a window ahead of the last chunk the node said it stored; a resume starts a new
    `round` from the node's own cursor (`records.snapshot`)."""

    node = models.CharField(max_length=2, unique=True)
    snapshot = models.UUIDField()
    round = models.PositiveIntegerField(default=1)
    started_at = models.DateTimeField()
    total = models.PositiveBigIntegerField(null=True, blank=True)  # records the node may see, at the start
    cursor = models.UUIDField(null=True, blank=True)  # the last record id sent
    sent_seq = models.PositiveIntegerField(default=0)  # the last chunk sent
    sent_rows = models.PositiveBigIntegerField(default=0)  # every row sent, again after a resume too
    sent_bytes = models.PositiveBigIntegerField(default=0)  # compressed, as the chunks carried them
    sent_all_at = models.DateTimeField(null=True, blank=True)  # the final chunk of the round sent
    stored_seq = models.PositiveIntegerField(default=0)  # the last chunk the node said it stored
    stored_rows = models.PositiveBigIntegerField(default=0)
    stored_at = models.DateTimeField(null=True, blank=True)
    resumes = models.PositiveIntegerField(default=0)
    resumed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)  # the node stored the final chunk

    def __str__(self) -> str:
        return f"snapshot of {self.node}: chunk {self.stored_seq}/{self.sent_seq}"


class SnapshotCursor(models.Model):
    """On an NCB node: how far a snapshot from the hub is stored, written in the transaction that
    stores each chunk: the chunk's number and round, and the id of the last record it covered."""

    snapshot = models.UUIDField(unique=True)
    round = models.PositiveIntegerField(default=1)
    seq = models.PositiveIntegerField(default=0)  # the last chunk stored
    key = models.UUIDField(null=True, blank=True)  # the last record id it covered
    total = models.PositiveBigIntegerField(default=0)  # as the hub counted at the start
    rows = models.PositiveBigIntegerField(default=0)  # rows stored (older versions than held skipped)
    received = models.PositiveBigIntegerField(default=0)  # rows received in the chunks stored
    refused = models.PositiveIntegerField(default=0)  # chunks refused: duplicates, out of order
    started_at = models.DateTimeField()
    stored_at = models.DateTimeField(null=True, blank=True)
    asked_at = models.DateTimeField(null=True, blank=True)  # a resume last asked of the hub
    finished_at = models.DateTimeField(null=True, blank=True)
    # A first load (the node held no replica): the indexes dropped for it, as the statements that
    # build them again after the last chunk (`snapshot.build_deferred`), and when they were built.
    deferred = models.JSONField(default=list, blank=True)
    indexed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-started_at"]

    def __str__(self) -> str:
        return f"snapshot {self.snapshot}: chunk {self.seq}, {self.rows} rows"
