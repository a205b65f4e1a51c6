"""Checking a case, a bag or a handover: the checks, the extra checks and report checks."""
