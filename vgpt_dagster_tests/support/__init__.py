"""Test support: project roots, tiny models, subprocess helpers. Tests and bench import it; the product never does."""
