"""Decisions at (policy, reference time): certificate validity, trust, data-signature judging.

One :class:`~pgpsig.engine.judge.Judge` is built per run; its per-certificate views
(:mod:`~pgpsig.engine.view`) answer questions that take only the time a signature was made.
Nothing here reads files or the clock. Modules, one concept each:

- :mod:`~pgpsig.engine.judge`: the judge (policy, reference time, keyring, the one cache);
- :mod:`~pgpsig.engine.view`: one certificate's keys: bindings, expiry, flags, revocations;
- :mod:`~pgpsig.engine.selfsig`: when a self-signature counts, where signatures are found (shared
  with the store's cleaning);
- :mod:`~pgpsig.engine.revocation`: revocations as values, hard and soft;
- :mod:`~pgpsig.engine.verdicts`: key verdicts and the errors of their raising wrappers;
- :mod:`~pgpsig.engine.certification`: third-party certifications of a user ID;
- :mod:`~pgpsig.engine.trust`: trust paths from the roots;
- :mod:`~pgpsig.engine.signatures`: judging one data signature, and the run's judge;
"""
