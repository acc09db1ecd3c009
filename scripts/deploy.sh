#!/usr/bin/env bash
# Deploys PushFunctions to Azure with one command: the passes of docs/DEPLOY.md, in order, stopping at the first
# that fails with which pass it was and what to fix. Every pass is safe to repeat: run the command again after a fix.
#   1. infrastructure  az deployment group create: infra/main.bicep with infra/main.bicepparam
#   2. package         bash scripts/package.sh, then the Flex Consumption zip deploy
#                      (az functionapp deployment source config-zip)
#   3. host keys       az functionapp keys set: host key pushserver-<i> = the i-th server key, because the Functions
#                      host checks x-functions-key against its own keys before the app sees a request; host keys
#                      pushserver-<n> past the list (a rotation's leftovers) are deleted
#
# Usage: scripts/deploy.sh --resource-group RG --app-name APP [--deployment-name NAME] [--package ZIP]
#                          [--parameter NAME=VALUE]...
#   --deployment-name  the ARM deployment's name (default pushfunctions; the guide reads its outputs by it)
#   --package          deploy this zip instead of building one with scripts/package.sh
#   --parameter        one more template parameter (e.g. deployerPrincipalId=<object id>); repeatable
# Environment: PUSH_SERVER_KEYS and SESSION_SIGNING_KEYS (comma-separated; infra/main.bicepparam reads them). No
#   secret is ever printed: the keys reach az through the environment or a file only this user can read, and az's
#   own messages are shown with every key replaced by ***. DEPLOY_HOST_KEY_ATTEMPTS (6) and DEPLOY_RETRY_SECONDS (10):
#   how often and how far apart a host key the starting host refuses is tried again.
# Exit status: 0 deployed; 2 bad usage or a missing prerequisite; 10 + N pass N failed.
set -euo pipefail

# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

readonly PASSES=3
usage() { sed -n '/^# Usage:/,/^# Environment:/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

resource_group=""
app_name=""
deployment_name="pushfunctions"
package_zip=""
extra_parameters=()
while [ $# -gt 0 ]; do
  case "$1" in
    --resource-group|-g) resource_group="${2:-}"; shift 2 ;;
    --app-name|-n) app_name="${2:-}"; shift 2 ;;
    --deployment-name) deployment_name="${2:-}"; shift 2 ;;
    --package) package_zip="${2:-}"; shift 2 ;;
    --parameter) extra_parameters+=("${2:-}"); shift 2 ;;
    -h|--help) usage ;;
    *) printf 'deploy.sh: unknown argument %s\n' "$1" >&2; usage ;;
  esac
done

# ---------------------------------------------------------------------------------------------------------------
# Secrets never printed
# ---------------------------------------------------------------------------------------------------------------

# Each key alone, and each variable whole: any of them in az's output is replaced before it is shown.
secrets=()
for variable in PUSH_SERVER_KEYS SESSION_SIGNING_KEYS; do
  value="${!variable:-}"
  [ -n "$value" ] || continue
  secrets+=("$value")
  IFS=',' read -r -a parts <<<"$value"
  for part in "${parts[@]}"; do
    part="$(printf '%s' "$part" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')"
    [ -n "$part" ] && secrets+=("$part")
  done
done

mask() {
  local text
  text="$(cat)"
  for secret in "${secrets[@]}"; do
    text="${text//"$secret"/***}"
  done
  printf '%s\n' "$text"
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chmod 700 "$work"

# ---------------------------------------------------------------------------------------------------------------
# Running az and failing clearly
# ---------------------------------------------------------------------------------------------------------------

say() { printf 'deploy.sh: %s\n' "$*" >&2; }

# Runs az with its output kept aside: stdout into $az_out, stderr into $work/az.err. Returns az's status.
az_out=""
run_az() {
  local status=0
  az_out="$(az "$@" 2>"$work/az.err")" || status=$?
  return "$status"
}

# What az said on stderr, secrets masked, indented under the failure.
az_said() {
  [ -s "$work/az.err" ] && mask <"$work/az.err" | sed 's/^/    /' >&2
  return 0
}

stop_usage() { say "$1"; exit 2; }

# stop PASS "what failed" "what to fix"
stop() {
  local pass="$1" what="$2" fix="$3" name
  case "$pass" in 1) name=infrastructure ;; 2) name=package ;; *) name="host keys" ;; esac
  say "pass $pass of $PASSES ($name) failed: $what"
  az_said
  say "to fix: $fix"
  say "then run scripts/deploy.sh again: every pass is safe to repeat."
  exit $((10 + pass))
}

# ---------------------------------------------------------------------------------------------------------------
# Before the passes: what they need
# ---------------------------------------------------------------------------------------------------------------

[ -n "$resource_group" ] || stop_usage "--resource-group is required (the guide's \$RG)."
[ -n "$app_name" ] || stop_usage "--app-name is required (the guide's \$APP; appName in infra/main.bicepparam)."
for variable in PUSH_SERVER_KEYS SESSION_SIGNING_KEYS; do
  [ -n "${!variable:-}" ] || stop_usage "$variable is not set: export it from your secret store first (docs/DEPLOY.md, \"Prerequisites\")."
done
command -v az >/dev/null 2>&1 || stop_usage "the Azure CLI (az) is not on PATH: install it (docs/DEPLOY.md, \"Prerequisites\")."
if ! run_az account show --output none; then
  az_said; stop_usage "the Azure CLI is not signed in: run az login (and az account set --subscription <id>)."
fi
if ! run_az group show --name "$resource_group" --output none; then
  az_said; stop_usage "resource group $resource_group was not found: create it with az group create --name $resource_group --location <region>."
fi

# ---------------------------------------------------------------------------------------------------------------
# 1. Infrastructure
# ---------------------------------------------------------------------------------------------------------------

say "pass 1 of $PASSES: infrastructure (az deployment group create $deployment_name)"
# SignalR Service's first PUT keeps its upstream on the app's current host name, if there is an app yet
# (infra/main.bicep, currentAppHostName). No app is not a failure: this is the first deployment.
current_host=""
if run_az functionapp show --resource-group "$resource_group" --name "$app_name" --query defaultHostName --output tsv; then
  current_host="$az_out"
  say "$app_name answers at $current_host: SignalR Service's upstream stays there until the app is updated"
else
  say "no function app $app_name yet: this is its first deployment"
fi
template_parameters=(appName="$app_name" deployServerHostKeys=false currentAppHostName="$current_host")
if [ ${#extra_parameters[@]} -gt 0 ]; then template_parameters+=("${extra_parameters[@]}"); fi
run_az deployment group create \
  --resource-group "$resource_group" \
  --name "$deployment_name" \
  --template-file "$ROOT/infra/main.bicep" \
  --parameters "$ROOT/infra/main.bicepparam" \
  --parameters "${template_parameters[@]}" \
  --output none \
  || stop 1 "az deployment group create exited $?." \
    "read Azure's error above: region or SKU availability, quotas, or your rights on $resource_group (Owner, or Contributor + User Access Administrator). az deployment operation group list --resource-group $resource_group --name $deployment_name shows which resource failed."
run_az deployment group show --resource-group "$resource_group" --name "$deployment_name" \
  --query properties.outputs.appUrl.value --output tsv \
  || stop 1 "the deployment's outputs could not be read (az deployment group show exited $?)." \
    "check that deployment $deployment_name exists in $resource_group."
app_url="$az_out"

# ---------------------------------------------------------------------------------------------------------------
# 2. Package
# ---------------------------------------------------------------------------------------------------------------

say "pass 2 of $PASSES: package"
if [ -z "$package_zip" ]; then
  bash "$ROOT/scripts/package.sh" >&2 \
    || stop 2 "scripts/package.sh exited $?." "run bash scripts/package.sh on its own and fix the build it reports."
  package_zip="${PACKAGE_ARTIFACTS:-$ROOT/artifacts}/pushfunctions.zip"
fi
[ -f "$package_zip" ] || stop 2 "there is no package at $package_zip." "build it with bash scripts/package.sh, or name an existing zip with --package."
run_az functionapp deployment source config-zip \
  --resource-group "$resource_group" \
  --name "$app_name" \
  --src "$package_zip" \
  --output none \
  || stop 2 "the zip deploy of $package_zip to $app_name exited $?." \
    "read the error above; you need Contributor (or Website Contributor) on $app_name. If Flex refuses the zip deploy itself, docs/DEPLOY.md shows the upload to the deployment container instead."

# ---------------------------------------------------------------------------------------------------------------
# 3. Host keys
# ---------------------------------------------------------------------------------------------------------------

say "pass 3 of $PASSES: host keys"
# The host may still be starting the package it was just given: a refused key is tried again a few times.
attempts="${DEPLOY_HOST_KEY_ATTEMPTS:-6}"
retry_seconds="${DEPLOY_RETRY_SECONDS:-10}"
IFS=',' read -r -a server_keys <<<"$PUSH_SERVER_KEYS"
count=0
for key in "${server_keys[@]}"; do
  key="$(printf '%s' "$key" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')"
  [ -n "$key" ] || continue
  name="pushserver-$count"
  # az reads an argument that starts with @ from that file: the key is in no command line and no output.
  (umask 077 && printf '%s' "$key" >"$work/key")
  tried=1
  until run_az functionapp keys set --resource-group "$resource_group" --name "$app_name" \
      --key-type functionKeys --key-name "$name" --key-value "@$work/key" --output none; do
    [ "$tried" -lt "$attempts" ] || stop 3 "host key $name was refused $attempts times." \
      "the host must be running to store keys: check that the package started (az functionapp show --resource-group $resource_group --name $app_name, and the app's logs in Application Insights)."
    say "host key $name refused (try $tried of $attempts; the host may still be starting): again in ${retry_seconds}s"
    tried=$((tried + 1))
    sleep "$retry_seconds"
  done
  rm -f "$work/key"
  count=$((count + 1))
done
[ "$count" -gt 0 ] || stop 3 "PUSH_SERVER_KEYS holds no key." "export at least one server key (16 characters or more)."

run_az functionapp keys list --resource-group "$resource_group" --name "$app_name" --query "keys(functionKeys)" --output tsv \
  || stop 3 "the host keys could not be listed (az functionapp keys list exited $?)." "check your rights on $app_name."
for existing in $(printf '%s\n' "$az_out" | tr '\t' '\n'); do
  case "$existing" in
    pushserver-*)
      index="${existing#pushserver-}"
      if [[ "$index" =~ ^[0-9]+$ ]] && [ "$index" -ge "$count" ]; then
        run_az functionapp keys delete --resource-group "$resource_group" --name "$app_name" \
          --key-type functionKeys --key-name "$existing" --output none \
          || stop 3 "the leftover host key $existing could not be deleted." "delete it with az functionapp keys delete (docs/DEPLOY.md, \"Rotate keys\")."
        say "deleted leftover host key $existing"
      fi
      ;;
  esac
done

say "deployed: $app_url (routes at $app_url/api/...; $count host keys pushserver-0..$((count - 1)))"
say "check: curl -s $app_url/api/health"
