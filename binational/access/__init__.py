"""Principals and the sharing policy: agencies, users, roles, releases, markings; the one decision `can()`."""
