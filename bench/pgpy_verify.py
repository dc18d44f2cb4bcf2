"""PGPy as a benchmark peer: verify one signature the way a PGPy user would, nothing more.

    python bench/pgpy_verify.py detached CERT SIG DATA
    python bench/pgpy_verify.py clearsigned CERT SIGNED_TEXT

Exit 0: PGPy says the signature verifies; 1: PGPy says it does not; 2: PGPy raised an error
(printed as one line on stderr). No policy, validity or trust checks are added: this measures PGPy.
"""

from __future__ import annotations

import sys
import warnings

warnings.simplefilter("ignore")  # PGPy warns about its own deprecated crypto calls

from pgpy import PGPKey, PGPMessage, PGPSignature  # noqa: E402


def main(argv: list[str]) -> int:
    try:
        if len(argv) == 4 and argv[0] == "detached":
            cert, sig, data = argv[1:]
            key = PGPKey.from_file(cert)[0]
            with open(data, "rb") as f:
                ok = key.verify(f.read(), PGPSignature.from_file(sig))
        elif len(argv) == 3 and argv[0] == "clearsigned":
            cert, signed = argv[1:]
            key = PGPKey.from_file(cert)[0]
            ok = key.verify(PGPMessage.from_file(signed))
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except Exception as exc:
        print(f"pgpy error: {type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
        return 2
    if ok:
        return 0
    print("pgpy: signature did not verify", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
