"""Benchmarks: one script per measured claim, each printing a table and writing results/<name>.json."""
