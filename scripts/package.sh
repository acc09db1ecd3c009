#!/usr/bin/env bash
# Builds the Azure Functions deployment package for PushFunctions:
#   artifacts/package/       self-contained linux-x64 publish of src/PushFunctions
#                            + host.json + one folder per function (functions/*/function.json)
#   artifacts/pushfunctions.zip   the same tree, zipped with Unix modes (PushFunctions keeps +x)
# Usage: scripts/package.sh            (from anywhere; writes under <repo>/artifacts)
# Not part of the test suite (a self-contained publish takes minutes). See docs/DEPLOY.md.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
project="${PACKAGE_PROJECT:-$repo/src/PushFunctions/PushFunctions.csproj}"
exe_name="${PACKAGE_EXE_NAME:-PushFunctions}"
artifacts="$repo/artifacts"
out="$artifacts/package"
zip_path="$artifacts/pushfunctions.zip"

ensure_zip() {
  if command -v zip >/dev/null 2>&1; then return; fi
  echo "package.sh: installing zip (Debian package)" >&2
  if [ "$(id -u)" -eq 0 ]; then
    apt-get install -y zip >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y zip >/dev/null; }
  else
    sudo apt-get install -y zip >/dev/null 2>&1 || { sudo apt-get update >/dev/null && sudo apt-get install -y zip >/dev/null; }
  fi
}

rm -rf "$out" "$zip_path"
mkdir -p "$out"

echo "package.sh: publishing $project (Release, linux-x64, self-contained)" >&2
dotnet publish "$project" \
  --configuration Release \
  --runtime linux-x64 \
  --self-contained true \
  --output "$out" \
  --artifacts-path "$artifacts/build" \
  -p:PublishReadyToRun=false \
  -p:DebugType=none \
  -p:GenerateDocumentationFile=false \
  --nologo

if [ ! -f "$out/$exe_name" ]; then
  echo "package.sh: expected executable $out/$exe_name was not produced" >&2
  exit 1
fi
chmod 755 "$out/$exe_name"

# The Functions host reads host.json and <function>/function.json at the package root (wwwroot).
cp "$repo/host.json" "$out/host.json"
for dir in "$repo"/functions/*/; do
  name="$(basename "$dir")"
  if [ -e "$out/$name" ]; then
    echo "package.sh: function folder '$name' collides with a published file" >&2
    exit 1
  fi
  mkdir -p "$out/$name"
  cp "$dir/function.json" "$out/$name/function.json"
done
# Local-only files must never ship.
rm -f "$out/local.settings.json"

ensure_zip
# -X: no extra (uid/gid) fields; Unix permission bits are still stored, so +x survives.
(cd "$out" && zip -q -r -X "$zip_path" .)

# Verify: the executable is in the zip with its x bits, and host.json is at the root.
listing="$(zipinfo "$zip_path")"
if ! grep -Eq "^-rwx.{6} .* ${exe_name}\$" <<<"$listing"; then
  echo "package.sh: $exe_name is not executable inside the zip:" >&2
  grep -E " ${exe_name}\$" <<<"$listing" >&2 || true
  exit 1
fi
grep -Eq " host\.json\$" <<<"$listing" || { echo "package.sh: host.json missing from zip" >&2; exit 1; }

count="$(ls -d "$repo"/functions/*/ | wc -l)"
echo "package.sh: wrote $zip_path ($(du -h "$zip_path" | cut -f1), $count functions)"
grep -E " ${exe_name}\$" <<<"$listing"
