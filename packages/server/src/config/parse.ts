import { ConfigError } from './config-error.js';

/** "points per duration": `5/900` = 5 per 900 s. */
export interface Rate {
  points: number;
  duration: number;
}

export function parseRate(value: string, name: string): Rate {
  const match = /^(\d+)\/(\d+)$/.exec(value);
  if (!match || Number(match[1]) < 1 || Number(match[2]) < 1) {
    throw new ConfigError(name, `${shown(value)} must look like POINTS/SECONDS, e.g. 5/900`);
  }
  return { points: Number(match[1]), duration: Number(match[2]) };
}

export function parseDuration(value: string, name: string): number {
  if (!/^\d+(\.\d+)?$/.test(value)) throw new ConfigError(name, `${shown(value)} is not a number of seconds`);
  return Number(value);
}

/** A bad value quoted for the one-line error: escaped (a newline cannot split the line) and bounded. */
export function shown(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
}
