"""Private answers: deleted after the retreat, their key rotated, and the attendee's own rights
(download, deletion). Their encryption is retreats/base/encryption.py."""
