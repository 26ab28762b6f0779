/**
 * Validators for every free-text value that can reach a file we write. Each
 * returns the safe canonical value or undefined; callers drop with a warning.
 */

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A DNS name (RFC 1123 labels), lower-cased, without a trailing dot. */
export function dnsName(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const name = value.trim().toLowerCase().replace(/\.$/, '');
  if (name.length === 0 || name.length > 253) return undefined;
  return name.split('.').every((l) => LABEL.test(l)) ? name : undefined;
}

/**
 * Linux interface name: at most 15 bytes (IFNAMSIZ), and only characters that
 * are safe in ifupdown stanzas, ifcfg file names and sysctl keys.
 */
export function interfaceName(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/.test(value) && value !== '.' && !value.includes('..') ? value : undefined;
}

/** Lower-case colon form, or undefined if not a 48-bit MAC. */
export function parseMac(text: unknown): string | undefined {
  if (typeof text !== 'string') return undefined;
  const m = text.trim().toLowerCase();
  return /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(m) ? m : undefined;
}

/** A POSIX-portable login name as useradd accepts by default. */
export function userName(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return /^[a-z_][a-z0-9_-]{0,31}$/.test(value) ? value : undefined;
}

const KEY_TYPES = /^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com|ssh-(rsa|ed25519)-cert-v01@openssh\.com)$/;

/**
 * One OpenSSH public key line: type, base64 blob, optional comment. Key options
 * (`command=…`, `from=…`) are refused: a key from metadata must not carry them.
 */
export function sshPublicKey(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const line = value.trim();
  if (line.length > 16384 || /[\u0000-\u001f\u007f]/.test(line)) return undefined;
  const [type, blob, ...comment] = line.split(/ +/);
  if (!type || !blob || !KEY_TYPES.test(type) || !/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) return undefined;
  return [type, blob, ...comment].join(' ');
}
