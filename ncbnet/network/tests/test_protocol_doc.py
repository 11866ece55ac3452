"""The worked examples in docs/protocol.md verify with the code, so the document cannot drift."""

import json
import re
from pathlib import Path

from ncbnet.base.crypto import canonical, verify
from ncbnet.network import envelope as env

DOC = Path(__file__).resolve().parents[3] / "docs" / "protocol.md"


def blocks() -> dict[str, object]:
    text = DOC.read_text("utf-8")
    return {
        name: json.loads(body) for name, body in re.findall(r"```json example:(\S+)\n(.*?)\n```", text, re.S)
    }


def test_worked_examples_verify():
    found = blocks()
    public = found["public-key"]
    for name in ("plain", "sealed"):
        e = found[name]
        assert e["key_id"] == public["key_id"]
        unsigned = {k: v for k, v in e.items() if k != "sig"}
        assert verify(public["signing_public"], e["sig"], canonical(unsigned)), name
        env.decode(env.encode(e))  # well-formed by the code's own rules


def test_the_canonical_bytes_shown_are_the_signed_bytes():
    text = DOC.read_text("utf-8")
    shown = re.search(r"```text\n(.*?)\n```", text, re.S).group(1)
    plain = blocks()["plain"]
    assert canonical({k: v for k, v in plain.items() if k != "sig"}).decode() == shown
