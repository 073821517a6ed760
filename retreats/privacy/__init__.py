"""Private answers (the answers to a retreat's private questions, such as accessibility needs,
an emergency contact or hopes, and a booking's room share wish): deleted after the retreat, their
key rotated, and the attendee's own rights (download, deletion). Their encryption is
retreats/base/encryption.py."""
