#!/bin/sh
# Setup of program:sort (stalloc-bench run): 1,500,000 lines of two fields,
# the same every time.
set -eu
awk 'BEGIN { for (i = 1; i <= 1500000; i++) printf("%d key%07d %s\n", (i * 7919) % 1000003, (i * 104729) % 9999991, substr("abcdefghijklmnopqrstuvwxyz", 1 + i % 26)) }' > lines.txt
