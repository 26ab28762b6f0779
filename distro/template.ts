/**
 * A line-oriented template language, small enough to read in one sitting, so
 * the files in templates/ are the exact text that lands in /etc:
 *
 *   {{name}}            the value; `{{name|shell}}` single-quotes it for bash
 *   a line whose value is undefined, null, false, '' or [] is left out
 *   a line whose value is a list is written once per item
 *   {{#list}} … {{/list}} on lines of their own repeat the block per item
 *                       (an item's fields shadow the outer ones)
 *   {{! comment}}       a template-only comment line, never written
 */

export type Scalar = string | number | boolean | undefined | null;
export interface Context {
  readonly [key: string]: Scalar | readonly Scalar[] | readonly Context[] | Context;
}

const TAG = /\{\{([a-zA-Z_][a-zA-Z0-9_]*)(\|shell)?\}\}/g;

/** Single-quote for bash: the only character that needs care inside '…' is ' itself. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function render(template: string, context: Context): string {
  const lines = template.replace(/\n$/, '').split('\n');
  return renderLines(lines, [context]).map((l) => `${l}\n`).join('');
}

function lookup(scopes: readonly Context[], key: string): Context[string] {
  for (let i = scopes.length - 1; i >= 0; i--) if (key in scopes[i]!) return scopes[i]![key];
  return undefined;
}

function renderLines(lines: readonly string[], scopes: readonly Context[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\s*\{\{!.*\}\}\s*$/.test(line)) continue;
    const open = /^\s*\{\{#([a-zA-Z_][a-zA-Z0-9_]*)\}\}\s*$/.exec(line);
    if (open) {
      const name = open[1]!;
      const end = findClose(lines, i, name);
      const block = lines.slice(i + 1, end);
      const value = lookup(scopes, name);
      const items = Array.isArray(value) ? value : value ? [value] : [];
      for (const item of items) out.push(...renderLines(block, typeof item === 'object' && item !== null ? [...scopes, item as Context] : scopes));
      i = end;
      continue;
    }
    out.push(...renderLine(line, scopes));
  }
  return out;
}

function findClose(lines: readonly string[], from: number, name: string): number {
  let depth = 0;
  for (let j = from + 1; j < lines.length; j++) {
    if (new RegExp(`^\\s*\\{\\{#${name}\\}\\}\\s*$`).test(lines[j]!)) depth++;
    if (new RegExp(`^\\s*\\{\\{/${name}\\}\\}\\s*$`).test(lines[j]!)) {
      if (depth === 0) return j;
      depth--;
    }
  }
  throw new Error(`template: {{#${name}}} is never closed`);
}

function renderLine(line: string, scopes: readonly Context[]): string[] {
  const tags = [...line.matchAll(TAG)];
  if (tags.length === 0) return [line];
  const lists = tags.filter((t) => Array.isArray(lookup(scopes, t[1]!)));
  if (lists.length > 1) throw new Error(`template: more than one list on the line ${JSON.stringify(line)}`);
  const listKey = lists[0]?.[1];
  const items: readonly Scalar[] = listKey === undefined ? [undefined] : (lookup(scopes, listKey) as readonly Scalar[]);
  const out: string[] = [];
  for (const item of items) {
    let keep = true;
    const text = line.replace(TAG, (_, key: string, filter: string | undefined) => {
      const v = key === listKey ? item : lookup(scopes, key);
      if (v === undefined || v === null || v === false || v === '' || typeof v === 'object') {
        keep = false;
        return '';
      }
      return filter ? shellQuote(String(v)) : String(v);
    });
    if (keep) out.push(text);
  }
  return out;
}
