#!/bin/sh
# Print the dpkg symbols file of libvfiomap0 made from the linker version
# script (lib/libvfiomap.map): each exported name as NAME@NODE, with the
# node's own version as the minimal version (LIBVFIOMAP_0.2 -> 0.2), plus
# the node's version-definition symbol that dpkg-gensymbols also lists.
#
#   debian/gen-symbols.sh MAPFILE [PACKAGE_VERSION] > debian/libvfiomap0.symbols
#
# debian/rules regenerates debian/libvfiomap0.symbols with this script
# and dpkg-gensymbols -c4 then fails the build when the library exports
# anything else.  With PACKAGE_VERSION (the upstream version being
# packaged), a node newer than it is an error: its symbols would make
# every program that uses them depend on a libvfiomap0 that does not exist.
# Wildcards in a global: list are refused (they cannot be listed here).
# A name may be listed in more than one node (a function with a new
# default version and a compatibility one, see lib/compat.c): each
# node's version of it is its own line, NAME@NODE, as dpkg-gensymbols
# lists every version the library exports.
set -eu
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 MAPFILE [PACKAGE_VERSION]" >&2; exit 2; }
map=$1 pkgver=${2:-}
[ -r "$map" ] || { echo "$0: cannot read $map" >&2; exit 1; }

perl -e '
use strict; use warnings;
my ($map, $pkgver) = @ARGV;
open(my $fh, "<", $map) or die "$map: $!\n";
my $text = do { local $/; <$fh> };
$text =~ s{/\*.*?\*/}{ }gs;	# C comments
$text =~ s{#[^\n]*}{}g;		# line comments
$text =~ s/([{};:])/ $1 /g;
my @tok = split " ", $text;
my (@nodes, %seen);
sub fail { print STDERR "gen-symbols: $map: @_\n"; exit 1; }
while (@tok) {
	my $node = shift @tok;
	$node =~ /^LIBVFIOMAP_(\d+)\.(\d+)$/ or fail("node name \"$node\" is not LIBVFIOMAP_X.Y");
	my $ver = "$1.$2";
	(shift(@tok) // "") eq "{" or fail("\"{\" expected after $node");
	my ($scope, @syms) = ("global");
	while (1) {
		my $t = shift @tok // fail("unterminated node $node");
		last if $t eq "}";
		next if $t eq ";";
		if (@tok && $tok[0] eq ":") {
			$t =~ /^(global|local)$/ or fail("unknown scope \"$t\" in $node");
			$scope = $t; shift @tok; next;
		}
		if ($scope eq "local") {
			$t eq "*" or fail("local: may only hold \"*\" ($node has \"$t\")");
			next;
		}
		$t =~ /^[A-Za-z_][A-Za-z0-9_]*$/ or
			fail("\"$t\" in $node: only plain symbol names can be listed (no wildcards, no extern)");
		$seen{"$t\@$node"}++ and fail("$t is listed twice in $node");
		push @syms, $t;
	}
	my $t = shift @tok // fail("\";\" expected after node $node");
	if ($t ne ";") {	# the parent node
		grep { $_->[0] eq $t } @nodes or fail("$node inherits from unknown node $t");
		(shift(@tok) // "") eq ";" or fail("\";\" expected after node $node");
	}
	@syms or fail("node $node exports nothing");
	if ($pkgver ne "" && system("dpkg", "--compare-versions", $ver, "le", $pkgver) != 0) {
		fail("node $node is newer than the package version $pkgver: bump debian/changelog");
	}
	push @nodes, [$node, $ver, \@syms];
}
@nodes or fail("no version node");
print "libvfiomap.so.0 libvfiomap0 #MINVER#\n";
print "* Build-Depends-Package: libvfiomap-dev\n";
for my $n (@nodes) {
	my ($node, $ver, $syms) = @$n;
	print " $node\@$node $ver\n";
	print " $_\@$node $ver\n" for @$syms;
}
' "$map" "$pkgver"
