"""zerowaste: recognise discarded items and say where they go in Wuppertal, reuse first."""

__version__ = "0.1.0"
