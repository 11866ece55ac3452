"""The yearly Heads of NCB Conference: delegations and their credentials, the agenda, documents and
minutes, resolutions voted one country one vote with ballots signed by each bureau's node key and a
tally every bureau can recompute (docs/conference.md)."""
