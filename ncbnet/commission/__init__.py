"""The Commission for the Control of Files (CCF): an independent body on the hub that a person, or
their lawyer, asks whether police data about them is held, and to have it corrected or deleted.

Its members and secretariat are accounts of their own kind (not GS staff); its requests, the
applicants' files and its journal live in a database of their own (`router`), apart from the
police data. See docs/commission.md.
"""
