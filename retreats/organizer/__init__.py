"""The organizer's area, one blueprint: accounts/, listings/ (the editor) and attendees/, above
the dashboard (views.py) and the one ownership check every page loads through (access.py)."""
