import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';

export interface LuaScript {
  /** The command name it is defined under on the client. */
  readonly command: string;
  readonly numberOfKeys: number;
  readonly lua: string;
}

const shared = readLua('shared.lua');

/** `lua/<name>-<numberOfKeys>.lua`, with lua/shared.lua in front of it. */
function luaScript(name: string, numberOfKeys: number): LuaScript {
  const command = 'grouper' + name.replace(/(^|-)(\w)/g, (_, _dash: string, letter: string) => letter.toUpperCase());
  return { command, numberOfKeys, lua: `${shared}\n${readLua(`${name}-${numberOfKeys}.lua`)}` };
}

function readLua(file: string): string {
  return readFileSync(new URL(`./lua/${file}`, import.meta.url), 'utf8');
}

export const scripts = {
  readSlots: luaScript('read-slots', 1),
  writeAlerts: luaScript('write-alerts', 1),
  claimDue: luaScript('claim-due', 1),
  commit: luaScript('commit', 1),
  extendLease: luaScript('extend-lease', 4),
  loadGroup: luaScript('load-group', 4),
  mergeGroup: luaScript('merge-group', 6),
} as const;

/**
 * Defines every script as a command on the client. ioredis sends EVALSHA and, on NOSCRIPT (a
 * restarted or flushed Redis), the full script again.
 */
export function defineScripts(client: Redis | Cluster): void {
  for (const { command, numberOfKeys, lua } of Object.values(scripts)) {
    client.defineCommand(command, { numberOfKeys, lua });
  }
}
