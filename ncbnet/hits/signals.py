"""What other apps may listen for, inside the transaction that records it (hits knows nothing of
who listens): on the owner's node, a hit report that reached its head of NCB, and a report the
owner answered."""

from django.dispatch import Signal

# sender=HitReport, report=HitReport, at=datetime: the hub escalated an unanswered hit on one of
# this bureau's records to its head of NCB (or further).
escalated_to_head = Signal()

# sender=HitReport, report=HitReport, at=datetime: the owner answered (confirmed, denied, more time).
answered = Signal()
