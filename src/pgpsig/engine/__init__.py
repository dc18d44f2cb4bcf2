"""Decisions at (policy, reference time): certificate validity, trust, data-signature judging.

One :class:`~pgpsig.engine.validity.Judge` is built per run; its per-certificate views answer
questions that take only the time a signature was made. Nothing here reads files or the clock.
"""
