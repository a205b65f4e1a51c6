"""evkit: offline evidence preservation for people hit by cybercrime."""

__version__ = "0.1.0"
