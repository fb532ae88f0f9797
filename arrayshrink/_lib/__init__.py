"""Internal helpers shared by the public layer."""
