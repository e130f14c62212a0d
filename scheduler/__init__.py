"""Scheduling: the fiscal calendar and the reminder policy."""
