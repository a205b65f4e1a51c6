"""evkit: offline evidence preservation for people hit by cybercrime."""

__version__ = "0.2.0"
