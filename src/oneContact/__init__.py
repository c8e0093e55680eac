"""oneContact."""
