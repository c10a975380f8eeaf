"""Glance's metadata definitions (``/v2/metadefs``): a catalog of namespaces, each holding
property definitions, objects, tags and resource-type associations.

A service of its own beside ``image``: it shares no table, rule or use case with images
(Glance itself keeps it in separate controllers, DB API and policies), so its layers stay
small and its catalog data lives with it (``catalog/``).
"""
