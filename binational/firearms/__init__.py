"""Firearms tracing: US acquisition records, Mexican recoveries, trace requests and their leads."""
