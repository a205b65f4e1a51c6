"""Trusted timestamps (RFC 3161) for the custody log."""
