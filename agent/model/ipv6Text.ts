/**
 * RFC 5952 text for 16 address bytes: lower-case, no leading zeros, the
 * longest run of two or more zero groups (the first, on a tie) as "::".
 * Ours rather than ip-address's, with no dependencies: it runs for every
 * address off the wire, and the RA path (`v6agent ra`, probing in `apply`)
 * then never loads ip-address (~5 ms).
 */
export function formatIpv6(bytes: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}
