"""Cross-agency discovery (hit/no-hit on selectors) and requests between agencies, on a clock."""
