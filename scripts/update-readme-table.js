#!/usr/bin/env node
// Rewrites the configuration table in README.md from src/config/keys.ts (via dist/). Run after `npm run build`.
import { readFileSync, writeFileSync } from 'node:fs';
import { configTableMarkdown } from '../dist/config/table.js';

const START = '<!-- config-table:start -->';
const END = '<!-- config-table:end -->';
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const a = readme.indexOf(START);
const b = readme.indexOf(END);
if (a < 0 || b < a) throw new Error(`README.md lacks the ${START} … ${END} markers`);
writeFileSync(
  new URL('../README.md', import.meta.url),
  `${readme.slice(0, a + START.length)}\n${configTableMarkdown()}\n${readme.slice(b)}`,
);
