"""Use cases for software modules (FreePBX's scheme).

The manifest (``manifest``, its line rules in ``_syntax``), the module tree (``tree``), fan-out
over cores (``fanout``), the pure verdict (``verdict``: evidence in, status bits out), FreePBX's
specifics (``freepbx``: layout, preset, local signatures), ``check`` (gathering the evidence) and
``sign``.
"""
