"""``python -m pgpsig``: the same as the ``pgpsig`` command."""

from pgpsig.cli import main

main()
