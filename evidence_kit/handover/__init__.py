"""Handing a case over: the export zip and reading it back."""
