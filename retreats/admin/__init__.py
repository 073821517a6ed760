"""The platform admin area: approving organizers, suspensions, unpublishing listings."""
