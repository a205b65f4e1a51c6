"""Findings: what each item shows, in plain words, read from its stored record.

One module per extractor family (``email``, ``image``, ``statement``, ``pdf``), each exposing
``describe(view) -> Description``; the registry entry of the extractor that wrote a record
points at it. ``base`` holds the shared helpers and :func:`~.base.describe_record`, the one
entry point. Nothing here reads an evidence file or imports a parser: findings are computed from
the record at read time, so they improve with evkit without changing what is on disk.
"""
