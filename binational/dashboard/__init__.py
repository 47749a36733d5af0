"""The picture of an agency for the home page: clocks, releases, hits, counts over time, matches to review."""
