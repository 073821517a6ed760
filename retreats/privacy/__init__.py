"""Private answers: encrypted at rest, deleted after the retreat, and the attendee's own rights."""
