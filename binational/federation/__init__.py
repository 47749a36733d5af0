"""Federation: each country keeps its own node; nodes trust each other through signed anchors,
release records to each other's agencies as signed bundles, and ask each other hit/no-hit
questions as keyed digests (docs/federation.md)."""
