"""Loaded with `-p` before Django starts: the test node is NCB France with a fresh data folder."""

import os
import tempfile

os.environ.setdefault("NCBNET_MODE", "test")
os.environ.setdefault("NCBNET_ROLE", "ncb")
os.environ.setdefault("NCBNET_COUNTRY", "FR")
os.environ.setdefault("NCBNET_DATA_DIR", tempfile.mkdtemp(prefix="ncbnet-test-"))
