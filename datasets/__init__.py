"""Importers for image sets, manifests with sha256, near-duplicate groups and leak-free splits."""
