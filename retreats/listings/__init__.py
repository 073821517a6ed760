"""What organizers list: retreats and their ticket types (the models and their own rules)."""
