#!/usr/bin/env bash
# The baseline FreePBX effectively runs, with gpg's own tools (../shared/bench/README.md), for every
# module directory of MODULES_DIR: in the module directory,
#   gpgv --keyring KEYRING --output - module.sig | <the [hashes] entries> | sha256sum --quiet --strict -c
# The [hashes] entries ("path = hex") are turned into sha256sum's "hex  path" lines by sed.
#
#   freepbx_check.sh gpgv KEYRING MODULES_DIR     # gpgv with a binary keyring
#   freepbx_check.sh sqop CERT MODULES_DIR        # the same with `sqop inline-verify CERT`
#   freepbx_check.sh gpgv KEYRING MODULES_DIR WEBROOT AMPBIN ASTAGIDIR
#
# With WEBROOT AMPBIN ASTAGIDIR, MODULES_DIR is a FreePBX webroot's admin/modules (case (f)): a
# directory without a non-empty module.sig is passed over (FreePBX never verifies _cache, and an
# empty module.sig has nothing to verify), and framework's entries are checked where FreePBX
# installs them: amp_conf/htdocs/X as WEBROOT/X, amp_conf/bin/X as AMPBIN/X, amp_conf/agi-bin/X as
# ASTAGIDIR/X (amp_conf/astetc/, amp_conf/moh/ and upgrades/ are not checked, as in FreePBX).
#
# Exit 0 when every module verifies and every file matches; 1 when any module fails (all are
# checked, as FreePBX does); 2 on a usage error.
set -u -o pipefail
if [ $# -ne 3 ] && [ $# -ne 6 ]; then
  echo "usage: $0 gpgv|sqop KEYRING MODULES_DIR [WEBROOT AMPBIN ASTAGIDIR]" >&2
  exit 2
fi
verifier=$1
keyring=$(realpath "$2") || exit 2
modules=$(cd "$3" && pwd) || exit 2
webroot=${4:-}
ampbin=${5:-}
agibin=${6:-}
case $verifier in
  gpgv) verify() { gpgv --keyring "$keyring" --output - module.sig; } ;;
  sqop) verify() { sqop inline-verify "$keyring" < module.sig; } ;;
  *) echo "$0: unknown verifier $verifier" >&2; exit 2 ;;
esac
installed() {  # sha256sum lines of framework's entries, at their installed paths
  awk -v w="$webroot" -v b="$ampbin" -v a="$agibin" '{
    h = substr($0, 1, 66); p = substr($0, 67)
    if (index(p, "amp_conf/htdocs/") == 1) p = w "/" substr(p, 17)
    else if (index(p, "amp_conf/bin/") == 1) p = b "/" substr(p, 14)
    else if (index(p, "amp_conf/agi-bin/") == 1) p = a "/" substr(p, 18)
    else if (index(p, "amp_conf/astetc/") == 1 || index(p, "amp_conf/moh/") == 1 || index(p, "upgrades/") == 1) next
    print h p
  }'
}
status=0
for m in "$modules"/*/; do
  map=cat
  if [ -n "$webroot" ]; then
    [ -s "$m/module.sig" ] || continue
    [ "$(basename "$m")" = framework ] && map=installed
  fi
  cd "$m" || { status=1; continue; }
  verify \
    | sed -n '/^\[hashes\]$/,/^\[/s/^\(.*\) = \([0-9a-f]\{64\}\)$/\2  \1/p' \
    | $map \
    | sha256sum --quiet --strict -c || status=1
done
exit $status
