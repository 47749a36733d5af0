"""The append-only Merkle audit log: entries, signed checkpoints, verification and auditors' views."""
