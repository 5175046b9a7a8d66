# shellcheck shell=bash
# Shared helpers for booksync's scripts and .ci/run. Source it; do not run it.
#
# Every message goes to stderr so that scripts can keep stdout for their
# machine-readable result (for example scripts/ensure-postgres's URL line).

log() { printf '%s: %s\n' "${BOOKSYNC_LOG_PREFIX:-${0##*/}}" "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# apt_install PKG...: install Debian packages non-interactively. Runs
# `apt-get update` at most once per process tree (BOOKSYNC_APT_UPDATED is
# exported to children), and only when something is really installed.
apt_install() {
	if ! is_root; then
		die "need to install: $*; run as root or install them yourself: sudo apt-get install -y $*"
	fi
	if ! command -v apt-get >/dev/null 2>&1; then
		die "apt-get not found; install these packages (or their equivalents) yourself: $*"
	fi
	export DEBIAN_FRONTEND=noninteractive
	if [ -z "${BOOKSYNC_APT_UPDATED:-}" ]; then
		log "apt-get update"
		apt-get update -q >&2
		export BOOKSYNC_APT_UPDATED=1
	fi
	log "apt-get install $*"
	apt-get install -y -q --no-install-recommends "$@" >&2
}

# pg_bindir: print the bin directory of the newest installed PostgreSQL server
# (Debian layout /usr/lib/postgresql/N/bin), or fail when none is installed.
# BOOKSYNC_PG_LIBDIR replaces /usr/lib/postgresql (for testing these scripts).
pg_bindir() {
	local best="" d
	for d in "${BOOKSYNC_PG_LIBDIR:-/usr/lib/postgresql}"/*/bin; do
		[ -x "$d/postgres" ] || continue
		if [ -z "$best" ] || [ "${d//[!0-9]/}" -gt "${best//[!0-9]/}" ]; then
			best=$d
		fi
	done
	[ -n "$best" ] || return 1
	printf '%s\n' "$best"
}
