#!/usr/bin/env bash
# The Debian package, end to end, on this machine (run as root; .ci/test runs it after the suite):
# build it with cargo-deb, lintian (no errors), the unit's hardening score, install with dpkg,
# start the installed binary the way its systemd unit would (service user, packaged config,
# credentials, Type=notify with the watchdog, CAP_NET_BIND_SERVICE on port 80), run the runbook's
# checks, upgrade to a next version with one more migration (configuration edit, secrets and data
# kept, a verified backup taken before migrating), roll back to this version (the data as it was
# before the upgrade), remove, purge.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
repo=$(pwd)

PKG=sports-nutrition
UNIT_MAX_EXPOSURE=2.0
work=$(mktemp -d /tmp/sn-package.XXXXXX)
# The service user reaches its credentials directory inside.
chmod 0711 "$work"
service_pid=
cleanup() {
    if [ -n "$service_pid" ] && kill -0 "$service_pid" 2>/dev/null; then
        kill -TERM "$service_pid" 2>/dev/null || true
        wait "$service_pid" 2>/dev/null || true
    fi
    if dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -q installed; then
        SPORTS_NUTRITION_PURGE_DATA=yes dpkg --purge "$PKG" >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "run as root: it installs and removes the package"
if dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -q installed; then
    fail "$PKG is already installed on this machine; this test installs and removes it"
fi

step "build"
deb=$(cargo deb --locked --output "$work/" 2>"$work/cargo-deb.log" | tail -n 1) ||
    { cat "$work/cargo-deb.log" >&2; fail "cargo deb"; }
version=$(dpkg-deb --field "$deb" Version)
echo "$deb ($version, $(du -h "$deb" | cut -f1))"
# The next version: these sources with one more migration, packaged as the next revision. It builds
# in the same target directory (only this crate compiles again); this version's binary is put back
# afterwards for whatever runs after this test.
next_src=$work/next-src
mkdir -p "$next_src"
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$next_src"
newest_migration=$(find migrations -name '*.sql' -printf '%f\n' | sort | tail -n 1 | cut -d_ -f1)
cat >"$next_src/migrations/29991231000000_next_version.sql" <<'SQL'
-- The next version's change, for the upgrade and rollback test only.
ALTER TABLE users ADD COLUMN nickname text;
SQL
cp --remove-destination target/release/sports-nutrition "$work/sports-nutrition.this"
(cd "$next_src" && CARGO_TARGET_DIR="$repo/target" cargo build --release --locked) 2>>"$work/cargo-deb.log" ||
    { tail -n 30 "$work/cargo-deb.log" >&2; fail "building the next version"; }
deb2=$(cd "$next_src" && CARGO_TARGET_DIR="$repo/target" cargo deb --locked --no-build --deb-revision 2 \
    --output "$work/next/" 2>>"$work/cargo-deb.log" | tail -n 1)
version2=$(dpkg-deb --field "$deb2" Version)
cp --remove-destination "$work/sports-nutrition.this" target/release/sports-nutrition

step "lintian"
lintian --fail-on error --tag-display-limit 0 "$deb" || fail "lintian reports errors"

step "contents"
dpkg-deb --contents "$deb"
dpkg-deb --field "$deb" Depends Recommends
unit_in_deb=$(dpkg-deb --contents "$deb" | awk '{print $6}' | grep -E 'systemd/system/sports-nutrition\.service$')
[ -n "$unit_in_deb" ] || fail "no systemd unit in the package"
dpkg-deb --info "$deb" conffiles | grep -qx /etc/sports-nutrition/config.toml ||
    fail "config.toml is not a conffile"
# Not `grep -q`: it would stop reading, and dpkg-deb's broken pipe would fail the pipeline.
dpkg-deb --contents "$deb" | grep ' ./usr/share/man/man1/sports-nutrition\.1\.gz$' >/dev/null ||
    fail "no compressed man page"

step "install"
dpkg --install "$deb"
unit=/${unit_in_deb#./}
[ -x /usr/bin/sports-nutrition ] || fail "no binary"
getent passwd "$PKG" | grep -q ':/var/lib/sports-nutrition:/usr/sbin/nologin$' ||
    fail "service user: $(getent passwd "$PKG")"
expect_stat() { # path "mode owner:group"
    local got; got=$(stat -c '%a %U:%G' "$1")
    [ "$got" = "$2" ] || fail "$1 is $got, expected $2"
}
expect_stat /etc/sports-nutrition/config.toml "640 root:$PKG"
expect_stat /etc/sports-nutrition/credentials "700 root:root"
expect_stat /var/lib/sports-nutrition "750 $PKG:$PKG"
expect_stat /var/lib/sports-nutrition/backups "750 $PKG:$PKG"
for key in auth.jwt_secret tls.acme.storage_key; do
    expect_stat "/etc/sports-nutrition/credentials/$key" "600 root:root"
    [ "$(wc -c <"/etc/sports-nutrition/credentials/$key")" -eq 64 ] || fail "$key is not 64 characters"
done
secrets_before=$(cat /etc/sports-nutrition/credentials/* | sha256sum)
[ -L /etc/systemd/system/multi-user.target.wants/sports-nutrition.service ] || fail "the unit is not enabled"

step "unit"
systemd-analyze verify "$unit"
systemd-analyze security --offline=true "$unit" | tail -n 1
exposure=$(systemd-analyze security --offline=true "$unit" | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
awk -v e="$exposure" -v max="$UNIT_MAX_EXPOSURE" 'BEGIN { exit !(e <= max) }' ||
    fail "exposure $exposure is above $UNIT_MAX_EXPOSURE"

# The unit's own settings, read from the installed file, so the emulation below follows it.
unit_value() { sed -n "s/^$1=//p" "$unit"; }
exec_start=$(unit_value ExecStart)
run_user=$(unit_value User)
workdir=$(unit_value WorkingDirectory)
seconds() { # a systemd time span such as 10min or 30s
    case "$1" in *min) echo $((${1%min} * 60)) ;; *s) echo "${1%s}" ;; *) echo "$1" ;; esac
}
start_timeout=$(seconds "$(unit_value TimeoutStartSec)")
stop_timeout=$(seconds "$(unit_value TimeoutStopSec)")
watchdog=$(seconds "$(unit_value WatchdogSec)")
capability=$(unit_value AmbientCapabilities | tr 'A-Z' 'a-z' | sed 's/^cap_//')
umask_value=$(unit_value UMask)

# An admin's edit of the configuration: port 80 (needs the unit's capability), a comment of theirs.
sed -i 's/^port = 8080$/port = 80/' /etc/sports-nutrition/config.toml
echo "# edited by the admin on $(date -u +%F)" >>/etc/sports-nutrition/config.toml
base=http://127.0.0.1:80

# Starts the service as systemd would: credentials copied into a directory only the service user
# can read, a clean environment, the unit's user, umask and capability, Type=notify + watchdog.
start_service() {
    local creds="$work/credentials"
    rm -rf "$creds" && install -d -o "$run_user" -m 0500 "$creds"
    while IFS= read -r line; do
        local id=${line%%:*} path=${line#*:}
        install -o "$run_user" -m 0400 "$path" "$creds/$id"
    done < <(unit_value LoadCredential)
    rm -f "$work/ready"
    (
        cd "$workdir"
        umask "$umask_value"
        # shellcheck disable=SC2086 # ExecStart is split into words, as systemd does
        exec python3 "$repo/tests/package/supervise.py" --ready-file "$work/ready" \
            --start-timeout "$start_timeout" --stop-timeout "$stop_timeout" --watchdog "$watchdog" \
            --env CREDENTIALS_DIRECTORY="$creds" -- \
            setpriv --reuid="$run_user" --regid="$run_user" --init-groups \
            --inh-caps="+$capability" --ambient-caps="+$capability" --bounding-set="-all,+$capability" \
            --no-new-privs -- $exec_start
    ) >>"$work/service.log" 2>&1 &
    service_pid=$!
    while [ ! -f "$work/ready" ]; do
        kill -0 "$service_pid" 2>/dev/null || { cat "$work/service.log" >&2; fail "the service did not start"; }
        sleep 0.5
    done
    echo "READY=1 after $(cat "$work/ready") s"
}

stop_service() {
    kill -TERM "$service_pid"
    wait "$service_pid" || { cat "$work/service.log" >&2; fail "the service did not stop cleanly"; }
    service_pid=
    grep -E '^supervise: ' "$work/service.log" | tail -n 3
}

# A command of the installed binary, run as the service user, as docs/operations.md shows.
as_service() {
    setpriv --reuid="$run_user" --regid="$run_user" --init-groups -- \
        /usr/bin/sports-nutrition --config /etc/sports-nutrition/config.toml "$@"
}

runbook() { # email
    curl -fsSI "$base/health" | head -n 1 | grep -q ' 200' || fail "curl -I /health"
    local health
    health=$(curl -fsS "$base/api/health" | jq -c '{status, database, redis}')
    [ "$health" = '{"status":"healthy","database":"connected","redis":"disabled"}' ] ||
        fail "/api/health: $health"
    token=$(curl -fsS "$base/api/auth/login" -H 'content-type: application/json' \
        -d "{\"email\":\"$1\",\"password\":\"sarma i podvarak 1987\"}" | jq -r .token)
    curl -fsS -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $token" "$base/api/profile" |
        grep -qx 200 || fail "/api/profile"
}

step "first start (managed PostgreSQL cluster, seed data) as the unit would run it"
start_service
curl -fsS "$base/ready"; echo
curl -fsS -o /dev/null "$base/api/v1/auth/register" -H 'content-type: application/json' \
    -d '{"email":"ana@klub.rs","password":"sarma i podvarak 1987"}' || fail "register"
runbook ana@klub.rs
curl -fsS -o /dev/null -X POST "$base/api/v1/progress" -H "Authorization: Bearer $token" \
    -H 'content-type: application/json' -d '{"date":"2026-11-20","weight_kg":61.5}' || fail "progress"
dishes=$(curl -fsS "$base/api/v1/dishes?q=cevapi" | jq '.items | length')
[ "$dishes" -gt 0 ] || fail "no seed data"
echo "resident memory after the runbook: $(ps -o rss= -C sports-nutrition | awk '{s += $1} END {print int(s / 1024)}') MiB"
owner=$(stat -c %U /var/lib/sports-nutrition/postgres)
[ "$owner" = "$run_user" ] || fail "the cluster belongs to $owner"
stop_service

step "upgrade $version -> $version2 (one more migration)"
dpkg --install "$deb2"
[ "$(dpkg-query -W -f='${Version}' "$PKG")" = "$version2" ] || fail "not upgraded"
grep -q '^# edited by the admin' /etc/sports-nutrition/config.toml || fail "the admin's edit is gone"
grep -q '^port = 80$' /etc/sports-nutrition/config.toml || fail "the admin's port is gone"
expect_stat /etc/sports-nutrition/config.toml "640 root:$PKG"
[ "$(cat /etc/sports-nutrition/credentials/* | sha256sum)" = "$secrets_before" ] || fail "secrets changed"
[ "$(cat /var/lib/sports-nutrition/previous-version)" = "$version" ] || fail "the replaced version is not noted"
start_service
grep -q 'backup before migrating taken and verified' "$work/service.log" ||
    fail "no backup before the migration"
runbook ana@klub.rs
weight=$(curl -fsS "$base/api/v1/progress/2026-11-20" -H "Authorization: Bearer $token" | jq -r .weight_kg)
[ "$weight" = "61.5" ] || fail "the progress entry is gone after the upgrade: $weight"
# Written by the new version only: the rollback takes it away.
curl -fsS -o /dev/null -X POST "$base/api/v1/progress" -H "Authorization: Bearer $token" \
    -H 'content-type: application/json' -d '{"date":"2026-11-21","weight_kg":62.0}' || fail "progress"
backups=$(as_service backup list)
echo "$backups"
echo "$backups" | grep -E " safety +schema=$newest_migration +ok .* verified=true" >/dev/null ||
    fail "no verified backup at schema $newest_migration"
stop_service

step "roll back to $version"
rollback=$(as_service rollback --yes 2>&1) || { echo "$rollback" >&2; fail "rollback"; }
echo "$rollback"
echo "$rollback" | grep -q "sports-nutrition=$version" || fail "rollback does not name the previous version"
dpkg --install "$deb"
[ "$(dpkg-query -W -f='${Version}' "$PKG")" = "$version" ] || fail "not downgraded"
start_service
runbook ana@klub.rs
weight=$(curl -fsS "$base/api/v1/progress/2026-11-20" -H "Authorization: Bearer $token" | jq -r .weight_kg)
[ "$weight" = "61.5" ] || fail "the progress entry of before the upgrade is gone: $weight"
status=$(curl -sS -o /dev/null -w '%{http_code}' "$base/api/v1/progress/2026-11-21" -H "Authorization: Bearer $token")
[ "$status" = "404" ] || fail "the entry written after the upgrade is still there ($status)"
stop_service

step "remove"
dpkg --remove "$PKG"
[ ! -e /usr/bin/sports-nutrition ] || fail "the binary is still there"
[ -f /etc/sports-nutrition/config.toml ] || fail "remove deleted the configuration"
[ -d /var/lib/sports-nutrition/postgres ] || fail "remove deleted the data"

step "purge keeps data unless asked"
dpkg --purge "$PKG" 2>&1
[ ! -e /etc/sports-nutrition/config.toml ] || fail "purge kept the configuration"
[ -d /var/lib/sports-nutrition/postgres ] || fail "purge deleted the data without being asked"
[ -f /etc/sports-nutrition/credentials/auth.jwt_secret ] || fail "purge deleted the keys of the kept data"

step "reinstall on the kept data, then purge everything"
dpkg --install "$deb" >/dev/null
[ "$(cat /etc/sports-nutrition/credentials/* | sha256sum)" = "$secrets_before" ] || fail "secrets replaced"
sed -i 's/^port = 8080$/port = 80/' /etc/sports-nutrition/config.toml
start_service
runbook ana@klub.rs
stop_service
SPORTS_NUTRITION_PURGE_DATA=yes dpkg --purge "$PKG"
[ ! -e /var/lib/sports-nutrition ] || fail "data left after purging with SPORTS_NUTRITION_PURGE_DATA=yes"
[ ! -e /etc/sports-nutrition ] || fail "/etc/sports-nutrition left after purging everything"

step "package test passed"
