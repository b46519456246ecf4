# program:perl (stalloc-bench run): hashes of strings and arrays built,
# sorted, joined and dropped, the way text-munging Perl scripts allocate.
use strict;
use warnings;

my $total = 0;
for my $round (1 .. 4) {
    my %by_prefix;
    my @lines;
    for my $i (1 .. 60000) {
        my $word = sprintf("item%06d-%s", ($i * 7919) % 100003, "z" x ($i % 13));
        push @{ $by_prefix{ substr($word, 0, 7) } }, $word;
        push @lines, join(",", $i, $word, length($word));
    }
    my %counts;
    for my $line (@lines) {
        my (undef, $word) = split /,/, $line;
        $counts{ substr($word, 4, 3) }++;
    }
    my @top = (sort { $counts{$b} <=> $counts{$a} || $a cmp $b } keys %counts)[0 .. 9];
    $total += scalar(keys %by_prefix) + scalar(@lines) + length(join(" ", @top));
}
print "$total\n";
