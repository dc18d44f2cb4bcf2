#!/usr/bin/env bash
# Run COMMAND... MODULE once per module directory of MODULES_DIR, one process each, in order.
#
#   per_module.sh MODULES_DIR COMMAND...     # e.g. per_module.sh DIR pgpsig sign --key KEY
#
# Exit 1 as soon as one run fails.
set -u
if [ $# -lt 2 ]; then
  echo "usage: $0 MODULES_DIR COMMAND..." >&2
  exit 2
fi
modules=$1
shift
for m in "$modules"/*/; do
  "$@" "${m%/}" || exit 1
done
