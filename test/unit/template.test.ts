import { describe, expect, it } from 'vitest';
import { render, shellQuote } from '../../distro/template.js';

describe('templates', () => {
  it('fills a value', () => {
    expect(render('name {{x}}\n', { x: 'eth0' })).toBe('name eth0\n');
  });

  it('leaves out a line whose value is missing', () => {
    expect(render('a\nMTU={{mtu}}\nb\n', {})).toBe('a\nb\n');
  });

  it('repeats a line once per list item', () => {
    expect(render('nameserver {{ns}}\n', { ns: ['2001:db8::1', '192.0.2.1'] })).toBe('nameserver 2001:db8::1\nnameserver 192.0.2.1\n');
  });

  it('repeats a block per item, with outer values visible inside', () => {
    expect(render('{{#ifs}}\niface {{name}} on {{host}}\n{{/ifs}}\n', { host: 'vm', ifs: [{ name: 'a' }, { name: 'b' }] })).toBe('iface a on vm\niface b on vm\n');
  });

  it('drops template comments', () => {
    expect(render('{{! not for /etc }}\nx\n', {})).toBe('x\n');
  });

  it('single-quotes for bash, escaping quotes', () => {
    expect(shellQuote("it's $(x)")).toBe(`'it'\\''s $(x)'`);
    expect(render('A={{a|shell}}\n', { a: 'b c' })).toBe("A='b c'\n");
  });
});
