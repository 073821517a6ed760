"""The organizer's profile, facilitators and venues, and which of them each retreat names."""
