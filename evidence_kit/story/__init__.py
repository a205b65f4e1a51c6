"""The story of the case: notes, suspects, losses, references and the timeline."""
