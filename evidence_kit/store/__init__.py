"""The case on disk: layout, safe file writes, the chain of custody, signing and the bag."""
