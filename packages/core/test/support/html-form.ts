import { parse } from 'parse5';

type Node = {
  nodeName: string;
  attrs?: { name: string; value: string }[];
  childNodes?: Node[];
  content?: Node;
};

/**
 * Reads a rendered POST page the way a browser does: parse5 implements the HTML Living Standard
 * tokenizer, so attribute values come back exactly as a browser would submit them (line breaks
 * and U+2028/U+2029 kept, references decoded). Returns the first form's action and the named
 * inputs' values.
 */
export function submitForm(html: string): { action: string; fields: Record<string, string> } {
  let action: string | undefined;
  const fields: Record<string, string> = {};
  const attr = (node: Node, name: string) => node.attrs?.find((a) => a.name === name)?.value;
  const walk = (node: Node): void => {
    if (node.nodeName === 'form' && action === undefined) action = attr(node, 'action') ?? '';
    if (node.nodeName === 'input') {
      const name = attr(node, 'name');
      if (name !== undefined) fields[name] = attr(node, 'value') ?? '';
    }
    for (const child of node.childNodes ?? []) walk(child);
  };
  walk(parse(html) as unknown as Node);
  if (action === undefined) throw new Error('the page has no form');
  return { action, fields };
}
