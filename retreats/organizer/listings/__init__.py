"""The listing editor: retreats, their ticket types, publishing and cancelling a retreat."""
