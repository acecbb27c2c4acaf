# shellcheck shell=bash
# A private apt configuration under a cache directory, for suites or
# source indexes this machine does not use: its own sources file, lists
# and package cache, no system state touched, nothing installed.  Its URI
# is the machine's own Debian archive (read from its sources), so no
# archive host name is written in the repository.  Sourced by
# tests/vm/kernel-source.sh and consumers/dpdk/build.sh:
#
#   . scripts/private-apt.sh
#   private_apt_init DIR "deb" "trixie-backports sid"    # or "deb-src" "bookworm"
#   apt-get "${apt_opts[@]}" ...
#   private_apt_update    # apt-get update, at most once a day

# The machine's Debian archive URIs (not security, not third-party), from
# its deb822 *.sources or one-line *.list entries.
debian_uri() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk 'BEGIN{RS=""; IGNORECASE=1}
		     /(^|\n)Suites:[^\n]*(bookworm|trixie|sid|stable|testing|unstable)/ &&
		     !/Suites:[^\n]*-security/ {
			if (match($0, /URIs:[ \t]*[^ \t\n]+/)) {
				u = substr($0, RSTART, RLENGTH); sub(/URIs:[ \t]*/, "", u); print u
			}
		     }' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk '$1 == "deb" {
			i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
			if ($(i+1) ~ /^(bookworm|trixie|sid|stable|testing|unstable)(-updates|-backports)?$/) print $i
		     }' "$f"
	done
}

# private_apt_init DIR TYPES SUITES: write DIR's sources and set apt_opts
private_apt_init() {
	local dir=$1 types=$2 suites=$3 uri keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	uri=$(debian_uri | grep -v -- '-security' | grep -E '/debian/?$' | head -1 || true)
	[ -n "$uri" ] || uri=$(debian_uri | grep -v -- '-security' | head -1 || true)
	[ -n "$uri" ] || { echo "private-apt: no Debian archive found in /etc/apt/sources*" >&2; return 2; }
	mkdir -p "$dir/lists/partial" "$dir/archives/partial" "$dir/etc/sources.list.d" \
		"$dir/etc/preferences.d" "$dir/cache"
	{
		echo "Types: $types"
		echo "URIs: $uri"
		echo "Suites: $suites"
		echo "Components: main"
		[ -f "$keyring" ] && echo "Signed-By: $keyring"
	} > "$dir/private.sources.new"
	mv "$dir/private.sources.new" "$dir/etc/sources.list.d/private.sources"
	private_apt_dir=$dir
	apt_opts=(-o "Dir::Etc::SourceList=/dev/null" -o "APT::Sandbox::User=root"
		  -o "Dir::Etc::SourceParts=$dir/etc/sources.list.d"
		  -o "Dir::Etc::Preferences=/dev/null"
		  -o "Dir::Etc::PreferencesParts=$dir/etc/preferences.d"
		  -o "Dir::State::Lists=$dir/lists"
		  -o "Dir::State::status=/dev/null"
		  -o "Dir::Cache=$dir/cache"
		  -o "Dir::Cache::archives=$dir/archives"
		  -o "APT::Get::List-Cleanup=0"
		  -o "Acquire::Languages=none"
		  -o "Debug::NoLocking=1")
}

# Refresh the private lists at most once a day (a CI run reuses fresh ones).
private_apt_update() {
	local stamp=$private_apt_dir/lists/.updated
	if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +1440)" ]; then
		apt-get "${apt_opts[@]}" update -qq >&2 || { echo "private-apt: apt-get update failed" >&2; return 2; }
		touch "$stamp"
	fi
}
