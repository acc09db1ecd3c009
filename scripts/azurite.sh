#!/usr/bin/env bash
# Runs Azurite's blob service, the Functions host's storage (AzureWebJobsStorage: timer locks and
# schedule status), on 127.0.0.1:PORT with its data in DIR ("memory": kept in memory only).
#
#   bash scripts/azurite.sh PORT DIR|memory
#
# Prints "AzureWebJobsStorage: <connection string>" first, then becomes Azurite itself (exec), which
# prints "Azurite Blob service successfully listens on http://127.0.0.1:PORT" once it serves. Stop it
# with SIGTERM. scripts/dev.sh, scripts/test.sh and the test harnesses all start it this way.
# Needs tools/azurite's npm packages: bash scripts/ensure-deps.sh azurite
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

[ $# -eq 2 ] || die "usage: azurite.sh PORT DIR|memory"
[ -x "$AZURITE_BLOB" ] || die "Azurite is not installed: bash scripts/ensure-deps.sh azurite"
[ "$2" = memory ] || mkdir -p "$2"
printf 'AzureWebJobsStorage: %s\n' "$(azurite_storage "http://127.0.0.1:$1")"
mapfile -t command < <(azurite_args "$1" "$2")
exec "${command[@]}"
