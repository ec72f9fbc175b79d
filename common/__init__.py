"""Code shared by glance-api and glance-registry: config, context, errors, RPC contract.

May import the standard library and oslo.* only; never flask, sqlalchemy or store clients.
"""
