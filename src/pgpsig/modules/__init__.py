"""Use cases for software modules (FreePBX's scheme).

The manifest, the module tree, fan-out over cores, ``check`` and ``sign``.
"""
