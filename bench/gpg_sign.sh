#!/usr/bin/env bash
# Sign every module directory of MODULES_DIR with gpg's tools: sha256sum of each file (sign.php's
# walk: dot-names skipped, module.sig left out), rendered as a sign.php v2 manifest by awk, then
# `gpg --clearsign` per module, written to module.sig. The peer of `pgpsig sign`.
#
#   gpg_sign.sh GNUPGHOME FINGERPRINT MODULES_DIR
#
# Files are listed in C-locale order of the whole path (sign.php orders by path components; the
# order changes nothing in the work done or in what verifies). Exit 1 when a module fails.
set -u -o pipefail
if [ $# -ne 3 ]; then
  echo "usage: $0 GNUPGHOME FINGERPRINT MODULES_DIR" >&2
  exit 2
fi
home=$1 fpr=$2
modules=$(cd "$3" && pwd) || exit 2
keyid=${fpr: -16}
body=$(mktemp)
trap 'rm -f "$body"' EXIT
for m in "$modules"/*/; do
  cd "$m" || exit 1
  {
    printf ';################################################\n'
    printf ';#        FreePBX Module Signature File         #\n'
    printf ';################################################\n'
    printf ';# Do not alter the contents of this file!  If  #\n'
    printf ';# this file is tampered with, the module will  #\n'
    printf ';# fail validation and be marked as invalid!    #\n'
    printf ';################################################\n\n'
    printf '[config]\nversion=2\nhash=sha256\nsignedwith=%s\nsignedby=sign.php\n' "$keyid"
    printf 'repo=manual\ntype=public\n[hashes]\n'
    find . -mindepth 1 -name '.*' -prune -o -path ./module.sig -prune -o -type f -printf '%P\0' \
      | LC_ALL=C sort -z \
      | xargs -0r sha256sum -- \
      | awk '{ print substr($0, 67) " = " substr($0, 1, 64) }'
    printf ';# End\n'
  } > "$body" || exit 1
  gpg --homedir "$home" --batch --yes --quiet --pinentry-mode loopback --passphrase '' \
    --local-user "$fpr" --digest-algo SHA256 --clearsign --output module.sig "$body" || exit 1
done
