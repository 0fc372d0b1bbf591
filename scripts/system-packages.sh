#!/usr/bin/env bash
# The Debian packages the whole test suite needs (redis-server, xmlsec1, chromium, php with the
# DOM extension, simplesamlphp). Installs the missing ones with apt-get when it can (as root, or
# with password-less sudo); otherwise stops with the exact command to run. Never a silent skip.
# SAMLKIT_SYSTEM_INSTALL=never only reports (exit 1 when something is missing).
set -uo pipefail

need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v xmlsec1 >/dev/null || need+=(xmlsec1)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v php >/dev/null || need+=(php-cli)
# grep without -q reads all of php -m: an early exit would SIGPIPE php and fail the pipe (pipefail).
php -m 2>/dev/null | grep -ix dom >/dev/null || need+=(php-xml)
[ -d /usr/share/simplesamlphp/www ] || need+=(simplesamlphp)
[ ${#need[@]} -eq 0 ] && exit 0

command="apt-get update && apt-get install -y ${need[*]}"
if [ "${SAMLKIT_SYSTEM_INSTALL:-auto}" != never ] && command -v apt-get >/dev/null; then
  if [ "$EUID" = 0 ]; then
    echo "installing ${need[*]} (apt-get)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" && exit 0
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    echo "installing ${need[*]} (sudo apt-get)"
    sudo apt-get update -qq &&
      sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" && exit 0
  fi
fi
echo "The test suite needs ${need[*]}, which are not installed. Run:" >&2
echo "  sudo sh -c '$command'" >&2
echo "then run the tests again." >&2
exit 1
