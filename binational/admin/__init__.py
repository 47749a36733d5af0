"""Administration and oversight: agencies, users, tokens, and the auditors' views of the log."""
