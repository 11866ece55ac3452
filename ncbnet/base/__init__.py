"""The lowest layer: what every app needs and that imports no app (DESIGN.md, Layout)."""
