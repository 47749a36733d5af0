"""Search that finds people: fuzzy, accent- and order-insensitive, filtered by the policy in SQL."""
