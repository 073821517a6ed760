"""Private answers (each attendee's accessibility needs, emergency contact and hopes, a booking's
room share wish, and the answers to a retreat's own private questions): deleted after the
retreat, their key rotated, and the attendee's own rights (download, deletion). Their encryption
is retreats/base/encryption.py."""
