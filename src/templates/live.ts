/**
 * A store that compiles MJML from templates/ on demand (with mjml, so only `templates check` and
 * `preview --serve` use it) and reads locales/ fresh after {@link LiveStore.invalidate}.
 */
import { compileType, type CompileProblem } from './compile.js';
import { LocaleCache, type CompiledTemplate, type TemplateStore } from './store.js';
import type { Resources } from './i18n.js';

export class LiveStore implements TemplateStore {
  private readonly compiled = new Map<string, { template: CompiledTemplate; problems: CompileProblem[] }>();
  private readonly pending = new Map<string, Promise<void>>();
  private readonly locales: LocaleCache;

  constructor(private readonly dirs: { templatesDir: string; localesDir: string }, private readonly strict = true) {
    this.locales = new LocaleCache(dirs.localesDir);
  }

  /** Compiles `type` (every variant) unless it is compiled already. */
  async prepare(type: string): Promise<CompileProblem[]> {
    let p = this.pending.get(type);
    if (!this.compiled.has(type) && !p) {
      p = compileType(type, this.dirs, { strict: this.strict }).then((r) => {
        this.compiled.set(type, r);
      }).finally(() => this.pending.delete(type));
      this.pending.set(type, p);
    }
    if (p) await p;
    return this.compiled.get(type)?.problems ?? [];
  }

  template(type: string): CompiledTemplate {
    const entry = this.compiled.get(type);
    if (!entry) throw new Error(`template ${type} was not prepared`);
    return entry.template;
  }

  languages(): readonly string[] {
    return this.locales.languages();
  }

  resources(lang: string, namespaces: readonly string[]): Resources {
    return this.locales.resources(lang, namespaces);
  }

  /** Forget everything: the next prepare() recompiles, the next resources() rereads. */
  invalidate(): void {
    this.compiled.clear();
    this.locales.clear();
  }
}
