"""Storage: domain records, the repository interface, its TinyDB implementation and evidence files."""

from .atomic import StoreCorrupted
from .clock import BANGKOK, Clock, FixedClock, ShiftedClock, SystemClock
from .evidence import EvidenceError, EvidenceStore
from .models import Evidence, Invite, Measure, Officer, Organization, ReportEntry, SendRecord, Unit
from .repository import Repository
from .tinydb_repo import TinyRepository

__all__ = [
    "BANGKOK",
    "Clock",
    "Evidence",
    "EvidenceError",
    "EvidenceStore",
    "FixedClock",
    "Invite",
    "Measure",
    "Officer",
    "Organization",
    "ReportEntry",
    "Repository",
    "SendRecord",
    "ShiftedClock",
    "StoreCorrupted",
    "SystemClock",
    "TinyRepository",
    "Unit",
]
