"""Interoperable image import: staging, the import methods, their plugins and their task."""
