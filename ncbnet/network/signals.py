"""Signals other apps listen to; `network` itself knows nothing of what they do."""

from django.dispatch import Signal

# Sent at the hub, in the registering transaction, when a node's first key is registered.
node_joined = Signal()
