#!/usr/bin/env bash
# The baseline FreePBX effectively runs, with gpg's own tools (../shared/bench/README.md), for every
# module directory of MODULES_DIR: in the module directory,
#   gpgv --keyring KEYRING --output - module.sig | <the [hashes] entries> | sha256sum --quiet --strict -c
# The [hashes] entries ("path = hex") are turned into sha256sum's "hex  path" lines by sed.
#
#   freepbx_check.sh gpgv KEYRING MODULES_DIR     # gpgv with a binary keyring
#   freepbx_check.sh sqop CERT MODULES_DIR        # the same with `sqop inline-verify CERT`
#
# Exit 0 when every module verifies and every file matches; 1 when any module fails (all are
# checked, as FreePBX does); 2 on a usage error.
set -u -o pipefail
if [ $# -ne 3 ]; then
  echo "usage: $0 gpgv|sqop KEYRING MODULES_DIR" >&2
  exit 2
fi
verifier=$1
keyring=$(realpath "$2") || exit 2
modules=$(cd "$3" && pwd) || exit 2
case $verifier in
  gpgv) verify() { gpgv --keyring "$keyring" --output - module.sig; } ;;
  sqop) verify() { sqop inline-verify "$keyring" < module.sig; } ;;
  *) echo "$0: unknown verifier $verifier" >&2; exit 2 ;;
esac
status=0
for m in "$modules"/*/; do
  cd "$m" || { status=1; continue; }
  verify \
    | sed -n '/^\[hashes\]$/,/^\[/s/^\(.*\) = \([0-9a-f]\{64\}\)$/\2  \1/p' \
    | sha256sum --quiet --strict -c || status=1
done
exit $status
