"""Training: the GS's course catalogue, each node's enrolments and progress, Open Badges 3.0
certificates signed by the hub's key and verified offline, and the gates that refuse the network's
services to a user without a valid required certificate (docs/training.md)."""
