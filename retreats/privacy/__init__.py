"""Private answers (each attendee's accessibility needs, emergency contact and hopes, and a
booking's room share wish): deleted after the retreat, their key rotated, and the attendee's own
rights (download, deletion). Their encryption is retreats/base/encryption.py."""
