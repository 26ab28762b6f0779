/** A unified diff of two small texts (config files: LCS is plenty fast). */

export function unifiedDiff(path: string, before: string | undefined, after: string, context = 3): string {
  const a = before === undefined ? [] : splitLines(before);
  const b = splitLines(after);
  const ops = lcsOps(a, b);
  const out: string[] = [`--- ${before === undefined ? '/dev/null' : `a${path}`}`, `+++ b${path}`];
  // Each changed line wants `context` lines around it; overlapping ranges merge into one hunk.
  const ranges: [number, number][] = [];
  ops.forEach((o, k) => {
    if (o.op === ' ') return;
    const [from, to] = [Math.max(0, k - context), Math.min(ops.length, k + context + 1)];
    const last = ranges[ranges.length - 1];
    if (last && from <= last[1]) last[1] = to;
    else ranges.push([from, to]);
  });
  for (const [from, to] of ranges) {
    const hunk = ops.slice(from, to);
    const before = ops.slice(0, from);
    const aStart = before.filter((o) => o.op !== '+').length;
    const bStart = before.filter((o) => o.op !== '-').length;
    const aLen = hunk.filter((o) => o.op !== '+').length;
    const bLen = hunk.filter((o) => o.op !== '-').length;
    out.push(`@@ -${aLen ? aStart + 1 : aStart},${aLen} +${bLen ? bStart + 1 : bStart},${bLen} @@`);
    for (const o of hunk) out.push(`${o.op}${o.line}`);
  }
  return `${out.join('\n')}\n`;
}

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

interface Op {
  op: ' ' | '-' | '+';
  line: string;
}

function lcsOps(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const dp: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) dp[i]![j] = a[i] === b[j] ? dp[i + 1]![j + 1]! + 1 : Math.max(dp[i + 1]![j]!, dp[i]![j + 1]!);
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ op: ' ', line: a[i]! });
      i++;
      j++;
    } else if (i < n && (j === m || dp[i + 1]![j]! >= dp[i]![j + 1]!)) ops.push({ op: '-', line: a[i++]! });
    else ops.push({ op: '+', line: b[j++]! });
  }
  return ops;
}
