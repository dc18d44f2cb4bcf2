"""Where certificates come from: keyring files, directories and the user's store.

Loose revocations are attached as certificates are read. This package reads and writes files and
judges nothing (that is :mod:`pgpsig.engine`).
"""
