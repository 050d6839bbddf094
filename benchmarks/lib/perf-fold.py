#!/usr/bin/env python3
# perf-fold.py PERF_DATA BINARY [TOP]: self and inclusive shares of samples by symbol.
#
# This machine's perf cannot read weft's ELF file ("symsrc__init: cannot get elf header"), so it
# prints bare addresses for everything in the binary; this resolves them with `nm` (the nearest
# symbol at or below the address, which perf script gives as an offset into the binary) and
# demangles with `swift demangle`. Record with e.g.
#   perf record -e cpu-clock -F 999 -g -p $(pgrep -n weft) -o perf.data -- sleep 10
# while wrk runs. Inclusive shares count a symbol once per sample, wherever it is on the stack;
# async functions resumed by the concurrency runtime have no caller frames above their resumption.
import subprocess, sys, bisect, re, collections
data, binary = sys.argv[1], sys.argv[2]
top = int(sys.argv[3]) if len(sys.argv) > 3 else 40
name = binary.split('/')[-1]
syms = []
for line in subprocess.run(['nm', '-n', '--defined-only', binary], capture_output=True, text=True).stdout.splitlines():
    p = line.split(' ', 2)
    if len(p) == 3 and p[1] in 'tTwW':
        syms.append((int(p[0], 16), p[2]))
addrs = [a for a, _ in syms]
out = subprocess.run(['perf', 'script', '-i', data, '-F', 'comm,ip,sym,dso'], capture_output=True, text=True).stdout
samples = []; cur = []
for line in out.splitlines():
    s = line.strip()
    if not s:
        if cur: samples.append(cur); cur = []
        continue
    m = re.match(r'([0-9a-f]+) (.*) \((.*)\)$', s)
    if not m:
        continue
    ip, sym, dso = int(m.group(1), 16), m.group(2), m.group(3)
    if dso.endswith(name):
        off = ip
        i = bisect.bisect_right(addrs, off) - 1
        sym = syms[i][1] if i >= 0 else hex(off)
    elif sym.startswith('[unknown]'):
        sym = dso.split('/')[-1] + '?'
    sym = re.sub(r'\+0x[0-9a-f]+$', '', sym)
    cur.append(sym)
if cur: samples.append(cur)
n = len(samples)
selfc = collections.Counter(s[0] for s in samples if s)
inc = collections.Counter()
for s in samples:
    for f in set(s): inc[f] += 1
dem = lambda names: subprocess.run(['swift', 'demangle', '--simplified'], input='\n'.join(names), capture_output=True, text=True).stdout.splitlines()
print(f'{n} samples')
print('== self'); names = [k for k, _ in selfc.most_common(top)]
for (k, c), d in zip(selfc.most_common(top), dem(names)): print(f'{100*c/n:6.2f}% {d[:150]}')
print('== inclusive'); names = [k for k, _ in inc.most_common(top)]
for (k, c), d in zip(inc.most_common(top), dem(names)): print(f'{100*c/n:6.2f}% {d[:150]}')
