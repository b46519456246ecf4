#!/bin/sh
# Setup of program:git-log and program:git-grep (stalloc-bench run): a git
# repository made the same way every time (fixed names, dates and contents,
# one git fast-import): a first commit of 300 files of generated C-like text
# (1,000 lines each), then 200 commits that each rewrite one file.
set -eu
git init -q repo
cd repo
awk 'function body(f, seed,   l) {
       out = ""
       for (l = 1; l <= 1000; l++)
         out = out sprintf("static int fn_%d_%d(int x) { return x * %d + %d; } /* %d.%d */\n",
                           f, l, (l * seed) % 97, (l + seed) % 13, seed, l)
       return out
     }
     function commit(n, msg) {
       printf("commit refs/heads/main\nmark :%d\n", n)
       printf("author bench <bench@example.org> 1767225600 +0000\n")
       printf("committer bench <bench@example.org> 1767225600 +0000\n")
       printf("data %d\n%s\n", length(msg), msg)
       if (n > 1) printf("from :%d\n", n - 1)
     }
     function file(f, seed,   b) {
       b = body(f, seed)
       printf("M 644 inline file%03d.c\ndata %d\n%s\n", f, length(b), b)
     }
     BEGIN {
       commit(1, "initial files")
       for (f = 0; f < 300; f++) file(f, 1)
       for (i = 2; i <= 201; i++) { commit(i, "commit " i); file((i * 37) % 300, i) }
     }' | git fast-import --quiet
git checkout -q -f main
