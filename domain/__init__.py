"""The rules of the ITA cycle with no I/O: fiscal calendar, ownership of measures, status, events."""
