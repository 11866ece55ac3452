"""Signals other apps listen to; `network` itself knows nothing of what they do."""

from django.dispatch import Signal

# Sent at the hub, in the registering transaction, when a node's first key is registered.
node_joined = Signal()
# Sent at the hub, in the registering transaction, when a node that had keys gets a new one (it
# rotated its key, or re-registered after a revocation): what it holds may need putting right.
node_rekeyed = Signal()
