/**
 * The function names the model sees for MCP tools: `<server>__<tool>`, made valid for every
 * provider (TOOL_NAME: letters, digits, `_`, `-`, at most 64 characters) and unique per server.
 */
import { TOOL_NAME } from '../types.js';

const MAX = 64;

/** `files` + `read.file` → `files__read_file`; over-long names are cut to 64 characters. */
export function toolName(server: string, tool: string): string {
  const name = `${server}__${tool}`.replace(/[^a-zA-Z0-9_-]/g, '_');
  return name.slice(0, MAX);
}

/**
 * Assigns names to one server's tools in order; a name already taken (two tools that differ only
 * in invalid characters or after character 64) gets `_2`, `_3` … within the 64 characters.
 */
export function uniqueToolNames(server: string, tools: readonly string[]): string[] {
  const taken = new Set<string>();
  return tools.map((tool) => {
    const base = toolName(server, tool);
    let name = base;
    for (let i = 2; taken.has(name); i++) {
      const suffix = `_${i}`;
      name = base.slice(0, MAX - suffix.length) + suffix;
    }
    taken.add(name);
    if (!TOOL_NAME.test(name)) throw new Error(`internal: invalid MCP tool name ${JSON.stringify(name)}`);
    return name;
  });
}
