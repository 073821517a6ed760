"""The organizer's gift vouchers: the list, with what is left on each, and voiding one."""
