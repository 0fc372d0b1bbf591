/**
 * Escapes text for HTML element content and quoted attribute values: `&`, `<`, `>`, both quotes
 * and the backtick (old Internet Explorer ended unquoted attributes on it), plus CR, which an
 * HTML parser would otherwise turn into LF before tokenizing (HTML Living Standard §13.2.3.5,
 * "preprocessing the input stream"); a character reference survives. Everything else, LF and
 * U+2028/U+2029 included, is kept as is: a parser keeps them in quoted attribute values, and a
 * numeric reference to a C1 control such as U+0085 would be remapped to Windows-1252
 * (§13.2.5.80), so the literal character is the faithful form.
 * @internal
 */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`\r]/g, (c) => HTML_ESCAPES[c]!);
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
  '\r': '&#13;',
};
