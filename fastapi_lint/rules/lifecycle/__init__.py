"""Rules of this family, one module per rule."""
