#!/bin/sh
# What GNU Mach executes on its way to the bootstrap panic, as the census in
# docs/gnumach.md was taken: a bare run (tests/gnumach/bare.sh's command
# line) with QEMU logging every translated block (-d in_asm), every
# interrupt and exception (-d int) and every I/O access (the
# memory_region_ops trace events), cut at the first instruction at the
# image's entry (0x01000000: what ran before is the firmware's).
#
#   sh tests/gnumach/census.sh [IMAGE] [OUTDIR]
#
# writes OUTDIR/raw.log (the QEMU log), OUTDIR/census.txt (each kind of
# privileged or sensitive instruction and the distinct addresses it ran
# at, "firmware" for the PCI BIOS code GNU Mach calls on bare metal) and
# OUTDIR/order.txt (those instructions, the interrupts and the port
# accesses in the order they happened, runs of port accesses folded).
# Addresses are linear: before paging (and the GDT with base 0 that follows
# it) GNU Mach runs at 0x01xxxxxx, virtual 0xc1xxxxxx.  Needs python3.
BUILD=${BUILD:-build}
IMAGE=${1:-$BUILD/guest/gnumach.elf}
OUT=${2:-$BUILD/gnumach-census}
QEMU_I386=${QEMU_I386:-qemu-system-i386}
PANIC='panic .*bootstrap_create: No bootstrap code loaded with the kernel!'
[ -s "$IMAGE" ] || { echo "census: no image $IMAGE" >&2; exit 2; }
mkdir -p "$OUT"
: > "$OUT/serial"
timeout --kill-after=5 120 "$QEMU_I386" -M isapc -cpu qemu32 -m 64 -nodefaults -display none -no-reboot \
    -kernel "$IMAGE" -append console=com0 -serial "file:$OUT/serial" \
    -d in_asm,int,cpu_reset -D "$OUT/raw.log" \
    -trace memory_region_ops_read -trace memory_region_ops_write </dev/null >/dev/null 2>&1 &
pid=$!
while kill -0 $pid 2>/dev/null && ! grep -aq -- "$PANIC" "$OUT/serial"; do sleep 0.2; done
kill $pid 2>/dev/null
wait $pid
grep -aq -- "$PANIC" "$OUT/serial" || { echo "census: the run did not reach the panic" >&2; exit 1; }
python3 - "$OUT" <<'PY'
import re, sys, collections
out = sys.argv[1]
log = open(out + '/raw.log', errors='replace').read().split('\n')
start = next(i for i, l in enumerate(log) if re.match(r'^0x0*1000000:', l))
def region(a):
    if 0xc00e0000 <= a < 0xc0100000 or 0xe0000 <= a < 0x100000: return 'firmware'
    return 'gnumach'
def kind(mn, ops):
    if mn in ('rep', 'repe', 'repne'):
        s = ops.split()[0] if ops else ''
        return 'rep ' + s.rstrip('bwl') if re.match(r'(ins|outs)', s) else None
    if re.match(r'^(lgdt|lidt|ltr|lldt|sldt|sgdt|sidt|str|smsw|lmsw|clts|cli|sti|pushf|popf|iret|hlt|invlpg|'
                r'cpuid|rdmsr|wrmsr|rdtsc|wbinvd|invd|xsetbv|ljmp|lcall|lret|lss|lar|lsl|verr|verw|int|ud2|ins|outs)', mn):
        return re.sub(r'[bwl]$', '', mn) if mn not in ('cli', 'sti', 'hlt', 'int', 'str', 'lsl') else mn
    if re.match(r'^(fninit|fnsave|frstor|fxsave|fxrstor|xsave|xrstor|fnstsw|fnstcw)', mn): return 'fpu ' + mn
    if mn.startswith('mov'):
        m = re.search(r'%(cr\d|dr\d)', ops)
        if m: return ('mov to %' if ops.endswith(m.group(0)) else 'mov from %') + m.group(1)[:2]
        m = re.search(r',\s*%(cs|ds|es|fs|gs|ss)$', ops)
        if m: return 'mov to %' + m.group(1)
        m = re.match(r'^%(cs|ds|es|fs|gs|ss),', ops)
        if m: return 'mov from %' + m.group(1)
        return None
    if re.match(r'^(in|out)[bwl]$', mn): return mn[:-1]
    if mn in ('pushl', 'popl') and re.match(r'^%(cs|ds|es|fs|gs|ss)$', ops): return mn[:-1] + ' ' + ops
    return None
census = collections.OrderedDict(); seen = set(); order = []; ports = collections.OrderedDict(); vec = {}
def fold():
    if ports:
        order.append('    ports: ' + ', '.join(k + (' x%d' % n if n > 1 else '') for k, n in ports.items()))
        ports.clear()
for l in log[start:]:
    m = re.match(r'^0x([0-9a-f]+):  ((?:[0-9a-f]{2} )+)\s*(\S+)\s*(.*)$', l)
    if m:
        a, mn, ops = int(m.group(1), 16), m.group(3), m.group(4).strip()
        k = kind(mn, ops)
        if k and (a, mn, ops) not in seen:
            seen.add((a, mn, ops)); census.setdefault((region(a), k), []).append(a)
            fold(); order.append('%08x  %s %s' % (a, mn, ops))
        continue
    m = re.match(r"memory_region_ops_(read|write) cpu \d+ mr \S+ addr (0x[0-9a-f]+) value (0x[0-9a-f]+) size (\d) name '([^']*)'", l)
    if m:
        k = '%s %s %s/%s' % (m.group(5) or 'none', 'in' if m.group(1) == 'read' else 'out', m.group(2), m.group(4))
        ports[k] = ports.get(k, 0) + 1
        continue
    m = re.search(r'^\s*\d+: v=([0-9a-f]+) e=([0-9a-f]+) i=(\d) cpl=\d IP=([0-9a-f:]+)', l)
    if m:
        vec[m.group(1)] = vec.get(m.group(1), 0) + 1
        if vec[m.group(1)] <= 3:
            fold(); order.append('    vector 0x%s error %s at %s' % (m.group(1), m.group(2), m.group(4)))
fold()
with open(out + '/census.txt', 'w') as f:
    for (r, k), v in census.items():
        f.write('%-9s %-16s %4d  %s\n' % (r, k, len(v), ' '.join('%x' % a for a in v)))
    f.write('vectors: ' + ', '.join('0x%s x%d' % kv for kv in vec.items()) + '\n')
open(out + '/order.txt', 'w').write('\n'.join(order) + '\n')
PY
echo "census: $OUT/census.txt, $OUT/order.txt"
