"""Small helpers with no dependencies beyond the standard library."""
