"""Find your retreat: a short self-assessment that recommends upcoming retreats, storing nothing."""
