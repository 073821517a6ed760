"""Whole public pages kept in memory, and the version that tells when they are out of date."""
