/**
 * `npm run build` step (after tsc): compiles every MJML body inside the layout, in every layout
 * variant, with strict validation, and writes dist/compiled/<type>.json (HTML and plain text with
 * markers) for render.ts. Exits non-zero on any MJML problem. Run as `node dist/templates/build.js`.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MAIL_TYPE_DEFS } from './catalog.js';
import { compileType, type CompileProblem } from './compile.js';
import { defaultDirs } from './store.js';

export async function buildTemplates(dirs = defaultDirs()): Promise<{ types: number; problems: CompileProblem[] }> {
  await mkdir(dirs.compiledDir, { recursive: true });
  const problems: CompileProblem[] = [];
  for (const def of MAIL_TYPE_DEFS) {
    const result = await compileType(
      def.id,
      { layout: join(dirs.templatesDir, 'layout.mjml'), body: join(dirs.templatesDir, `${def.id}.mjml`) },
      { strict: true },
    );
    problems.push(...result.problems);
    const path = join(dirs.compiledDir, `${def.id}.json`);
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(result.template));
    await rename(tmp, path);
  }
  return { types: MAIL_TYPE_DEFS.length, problems };
}

// Run as a script (the build step): the one place outside cli.ts that sets an exit code, because
// it is its own process entry point.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = performance.now();
  const { types, problems } = await buildTemplates();
  for (const p of problems) process.stderr.write(`templates: ${p.file} [${p.variant}] ${p.message}\n`);
  if (problems.length > 0) {
    process.stderr.write(`templates: ${problems.length} MJML problem(s); the build fails\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(
      `templates: compiled ${types} types into ${defaultDirs().compiledDir} in ${Math.round(performance.now() - started)} ms\n`,
    );
  }
}
