"""Organizers as the public sees them: their profile page and their embeddable booking widget."""
