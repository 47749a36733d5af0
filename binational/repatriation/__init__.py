"""Repatriation: coordinating returns between the sending and receiving agencies."""
