"""Bringing evidence in: dropped paths, hashing and adding files to the case."""
